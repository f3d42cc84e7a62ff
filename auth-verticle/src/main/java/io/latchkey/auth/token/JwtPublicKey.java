package io.latchkey.auth.token;

import io.vertx.core.json.JsonObject;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/**
 * A public key that verifies access tokens, pinned to the one JWS algorithm of its type: an RSA
 * key verifies RS256 signatures only, an Ed25519 key EdDSA signatures only. The key comes from
 * the configuration, never from a token.
 */
public sealed interface JwtPublicKey permits JwtPublicKey.Rsa, JwtPublicKey.Ed25519 {

  JwsAlgorithm algorithm();

  /** The exact length of this key's signatures; a token with another length is refused before any check. */
  int signatureLength();

  /** Whether {@code signature} is this key's signature of {@code signingInput}. Never throws. */
  boolean verifies(byte[] signingInput, byte[] signature);

  /** The key's public members as a JWK (RFC 7517, RFC 8037), with {@code kid}, {@code use} and {@code alg}. */
  JsonObject jwk(String kid);

  /** RFC 7638 JWK thumbprint (SHA-256, base64url): equal for equal keys, so the same PEM gives the same kid everywhere. */
  String thumbprint();

  /** X.509 SubjectPublicKeyInfo DER, as in a {@code PUBLIC KEY} PEM block. */
  byte[] encoded();

  /** An RSA public key of at least {@value JwtKeys#MIN_RSA_BITS} bits, verifying RS256. */
  final class Rsa implements JwtPublicKey {

    private final RSAPublicKey key;

    public Rsa(RSAPublicKey key) {
      this.key = key;
    }

    public RSAPublicKey key() {
      return key;
    }

    @Override
    public JwsAlgorithm algorithm() {
      return JwsAlgorithm.RS256;
    }

    @Override
    public int signatureLength() {
      return (key.getModulus().bitLength() + 7) / 8;
    }

    @Override
    public boolean verifies(byte[] signingInput, byte[] signature) {
      try {
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initVerify(key);
        rsa.update(signingInput);
        return rsa.verify(signature);
      } catch (GeneralSecurityException e) {
        return false;
      }
    }

    @Override
    public JsonObject jwk(String kid) {
      return new JsonObject().put("kty", "RSA").put("use", "sig").put("alg", algorithm().wireName()).put("kid", kid)
        .put("n", base64Url(unsigned(key.getModulus()))).put("e", base64Url(unsigned(key.getPublicExponent())));
    }

    @Override
    public String thumbprint() {
      return sha256(
        "{\"e\":\"" + base64Url(unsigned(key.getPublicExponent())) + "\",\"kty\":\"RSA\",\"n\":\"" + base64Url(unsigned(key.getModulus())) + "\"}");
    }

    @Override
    public byte[] encoded() {
      return key.getEncoded();
    }

    @Override
    public String toString() {
      return "RSA " + key.getModulus().bitLength() + "-bit public key";
    }
  }

  /**
   * An Ed25519 public key (the 32 bytes of RFC 8032), verifying EdDSA with Bouncy Castle's
   * Ed25519, which refuses non-canonical encodings of the signature's scalar and point.
   */
  final class Ed25519 implements JwtPublicKey {

    /** The length of an Ed25519 signature (RFC 8032). */
    public static final int SIGNATURE_LENGTH = 64;

    private final Ed25519PublicKeyParameters key;

    public Ed25519(Ed25519PublicKeyParameters key) {
      this.key = key;
    }

    @Override
    public JwsAlgorithm algorithm() {
      return JwsAlgorithm.EDDSA;
    }

    @Override
    public int signatureLength() {
      return SIGNATURE_LENGTH;
    }

    @Override
    public boolean verifies(byte[] signingInput, byte[] signature) {
      if (signature.length != SIGNATURE_LENGTH) {
        return false;
      }
      try {
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(signingInput, 0, signingInput.length);
        return verifier.verifySignature(signature);
      } catch (RuntimeException e) {
        return false;
      }
    }

    @Override
    public JsonObject jwk(String kid) {
      return new JsonObject().put("kty", "OKP").put("crv", "Ed25519").put("x", base64Url(key.getEncoded()))
        .put("use", "sig").put("alg", algorithm().wireName()).put("kid", kid);
    }

    @Override
    public String thumbprint() {
      // RFC 8037 section 2: the required members of an OKP key are crv, kty and x, in that order
      return sha256("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + base64Url(key.getEncoded()) + "\"}");
    }

    @Override
    public byte[] encoded() {
      try {
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(JwtKeyFiles.ID_ED25519), key.getEncoded()).getEncoded();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public String toString() {
      return "Ed25519 public key";
    }
  }

  private static String sha256(String canonical) {
    try {
      return base64Url(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The big-endian magnitude without the sign byte BigInteger adds. */
  static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      byte[] trimmed = new byte[bytes.length - 1];
      System.arraycopy(bytes, 1, trimmed, 0, trimmed.length);
      return trimmed;
    }
    return bytes;
  }

  static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
