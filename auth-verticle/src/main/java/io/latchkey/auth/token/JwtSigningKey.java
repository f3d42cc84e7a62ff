package io.latchkey.auth.token;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;

/**
 * The private key that signs access tokens, with its public half and the algorithm of its type.
 * Its {@code toString} names the type only (a private key's own may print its secret numbers).
 */
public sealed interface JwtSigningKey permits JwtSigningKey.Rsa, JwtSigningKey.Ed25519 {

  JwtPublicKey publicKey();

  default JwsAlgorithm algorithm() {
    return publicKey().algorithm();
  }

  /** The signature of {@code signingInput}. Safe to call from any number of threads. */
  byte[] sign(byte[] signingInput);

  /** RS256: RSASSA-PKCS1-v1_5 with SHA-256, by the JDK. */
  final class Rsa implements JwtSigningKey {

    private final RSAPrivateCrtKey key;
    private final JwtPublicKey.Rsa publicKey;

    public Rsa(RSAPrivateCrtKey key, JwtPublicKey.Rsa publicKey) {
      this.key = key;
      this.publicKey = publicKey;
    }

    public RSAPrivateCrtKey key() {
      return key;
    }

    @Override
    public JwtPublicKey.Rsa publicKey() {
      return publicKey;
    }

    /**
     * One initialised signer per thread (event loops), reused: {@code Signature.getInstance} and
     * {@code initSign} were ~5 % of a refresh in the profile (docs/BENCHMARKS.md). {@code sign()}
     * leaves the signer ready for the next signature with the same key.
     */
    private final ThreadLocal<Signature> signers = ThreadLocal.withInitial(this::newSigner);

    private Signature newSigner() {
      try {
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key);
        return rsa;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign with the RSA key", e);
      }
    }

    @Override
    public byte[] sign(byte[] signingInput) {
      Signature rsa = signers.get();
      try {
        rsa.update(signingInput);
        return rsa.sign();
      } catch (GeneralSecurityException e) {
        // a failed signer is not reused
        signers.remove();
        throw new IllegalStateException("cannot sign with the RSA key", e);
      }
    }

    @Override
    public String toString() {
      return "RSA signing key (" + publicKey + ")";
    }
  }

  /**
   * EdDSA over Ed25519 (RFC 8032, RFC 8037) by Bouncy Castle's lightweight API: measured on this
   * machine it signs about 25 times faster than the JDK 17 provider (see docs/BENCHMARKS.md).
   * A signer object is made per signature (it buffers the message and is not thread-safe).
   */
  final class Ed25519 implements JwtSigningKey {

    private final Ed25519PrivateKeyParameters key;
    private final JwtPublicKey.Ed25519 publicKey;

    public Ed25519(Ed25519PrivateKeyParameters key) {
      this.key = key;
      this.publicKey = new JwtPublicKey.Ed25519(key.generatePublicKey());
    }

    public Ed25519PrivateKeyParameters key() {
      return key;
    }

    @Override
    public JwtPublicKey.Ed25519 publicKey() {
      return publicKey;
    }

    @Override
    public byte[] sign(byte[] signingInput) {
      Ed25519Signer signer = new Ed25519Signer();
      signer.init(true, key);
      signer.update(signingInput, 0, signingInput.length);
      return signer.generateSignature();
    }

    @Override
    public String toString() {
      return "Ed25519 signing key";
    }
  }
}
