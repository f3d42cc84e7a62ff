package io.latchkey.auth.token;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;

/**
 * The PEM files of JWT keys: private keys in PKCS#8 ({@code BEGIN PRIVATE KEY}), public keys in
 * X.509 SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}), RSA or Ed25519 (RFC 8410), as
 * {@code openssl genpkey} writes them. The key type is read from the file's algorithm identifier
 * first, so that a key of another type is refused with a message naming both types and the
 * setting, not with a parser's complaint.
 */
final class JwtKeyFiles {

  /** RFC 8410 section 3 (Bouncy Castle keeps its own constants internal). */
  static final ASN1ObjectIdentifier ID_X25519 = new ASN1ObjectIdentifier("1.3.101.110");
  static final ASN1ObjectIdentifier ID_X448 = new ASN1ObjectIdentifier("1.3.101.111");
  static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
  static final ASN1ObjectIdentifier ID_ED448 = new ASN1ObjectIdentifier("1.3.101.113");

  private static final Map<ASN1ObjectIdentifier, String> KEY_TYPES = Map.of(
    PKCSObjectIdentifiers.rsaEncryption, "RSA",
    ID_ED25519, "Ed25519",
    ID_ED448, "Ed448",
    ID_X25519, "X25519",
    ID_X448, "X448",
    X9ObjectIdentifiers.id_ecPublicKey, "EC",
    X9ObjectIdentifiers.id_dsa, "DSA");

  private JwtKeyFiles() {
  }

  /** The signing key of {@code algorithm} from a PKCS#8 PEM file; a key of another type is refused. */
  static JwtSigningKey readPrivateKey(JwsAlgorithm algorithm, Path file) {
    String text = readText(file, "JWT private key");
    if (text.contains("BEGIN RSA PRIVATE KEY")) {
      throw new IllegalArgumentException("the JWT private key " + file + " is PKCS#1; convert it to PKCS#8: "
        + "openssl pkcs8 -topk8 -nocrypt -in old.pem -out new.pem");
    }
    return privateKey(algorithm, pemBody(text, "PRIVATE KEY", file), file.toString());
  }

  /** The signing key of {@code algorithm} from PKCS#8 DER; {@code source} names it in messages. */
  static JwtSigningKey privateKey(JwsAlgorithm algorithm, byte[] der, String source) {
    PrivateKeyInfo info;
    try {
      info = PrivateKeyInfo.getInstance(der);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the JWT private key " + source + " is not a PKCS#8 key");
    }
    String type = typeName(info.getPrivateKeyAlgorithm().getAlgorithm());
    if (!algorithm.keyType().equals(type)) {
      throw new IllegalArgumentException("the JWT private key " + source + " is a key of type " + type + ", but "
        + JwsAlgorithm.SETTING + "=" + algorithm.wireName() + " signs with " + algorithm.keyType() + " keys"
        + otherAlgorithmHint(type));
    }
    return switch (algorithm) {
      case RS256 -> rsaPrivateKey(der, source);
      case EDDSA -> ed25519PrivateKey(info, source);
    };
  }

  /** A public key of either type from an X.509 PEM file; its type decides the algorithm it verifies. */
  static JwtPublicKey readPublicKey(Path file) {
    return publicKey(pemBody(readText(file, "JWT public key"), "PUBLIC KEY", file), file.toString());
  }

  static JwtPublicKey publicKey(byte[] der, String source) {
    SubjectPublicKeyInfo info;
    try {
      info = SubjectPublicKeyInfo.getInstance(der);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the JWT public key " + source + " is not an X.509 public key");
    }
    String type = typeName(info.getAlgorithm().getAlgorithm());
    if ("RSA".equals(type)) {
      try {
        RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        requireSize(key.getModulus(), source);
        return new JwtPublicKey.Rsa(key);
      } catch (GeneralSecurityException | ClassCastException e) {
        throw new IllegalArgumentException("the JWT public key " + source + " is not an RSA X.509 key: " + e.getMessage());
      }
    }
    if ("Ed25519".equals(type) && info.getAlgorithm().getParameters() == null
      && info.getPublicKeyData().getPadBits() == 0 && info.getPublicKeyData().getOctets().length == Ed25519PublicKeyParameters.KEY_SIZE) {
      try {
        return new JwtPublicKey.Ed25519(new Ed25519PublicKeyParameters(info.getPublicKeyData().getOctets()));
      } catch (IllegalArgumentException e) {
        // not a point of the curve: reported below as malformed
      }
    }
    throw new IllegalArgumentException("the JWT public key " + source + " is " + (type.equals("Ed25519") ? "a malformed Ed25519 key"
      : "a key of type " + type) + "; JWT keys are RSA (RS256) or Ed25519 (EdDSA)");
  }

  private static JwtSigningKey rsaPrivateKey(byte[] der, String file) {
    try {
      var key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
      if (!(key instanceof RSAPrivateCrtKey crt)) {
        throw new IllegalArgumentException("the JWT private key " + file + " lacks its CRT parameters");
      }
      requireSize(crt.getModulus(), file);
      RSAPublicKey publicKey = (RSAPublicKey) KeyFactory.getInstance("RSA")
        .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
      return new JwtSigningKey.Rsa(crt, new JwtPublicKey.Rsa(publicKey));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the JWT private key " + file + " is not an RSA PKCS#8 key: " + e.getMessage());
    }
  }

  private static JwtSigningKey ed25519PrivateKey(PrivateKeyInfo info, String file) {
    try {
      // RFC 8410 section 7: the private key is an OCTET STRING holding the 32-byte seed, and no parameters
      byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
      if (info.getPrivateKeyAlgorithm().getParameters() != null || seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
        throw new IllegalArgumentException("wrong length or parameters");
      }
      return new JwtSigningKey.Ed25519(new Ed25519PrivateKeyParameters(seed));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the JWT private key " + file + " is not an Ed25519 PKCS#8 key (RFC 8410)");
    }
  }

  /**
   * Writes a fresh key pair of {@code algorithm} to {@code dir} (the algorithm's file names)
   * unless its private key file already exists: running it again keeps the keys, so tokens
   * issued earlier stay valid. Returns the public key.
   */
  static JwtPublicKey generate(JwsAlgorithm algorithm, Path dir) throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    Path privateFile = dir.resolve(algorithm.privateFile());
    if (Files.exists(privateFile)) {
      return readPrivateKey(algorithm, privateFile).publicKey();
    }
    KeyPair pair = newKeyPair(algorithm);
    writeAtomically(dir.resolve(algorithm.publicFile()), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    writeAtomically(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    return publicKey(pair.getPublic().getEncoded(), "generated");
  }

  /** A fresh key of {@code algorithm}, in memory only (the bench's and the tests' keys). */
  static JwtSigningKey generate(JwsAlgorithm algorithm) throws GeneralSecurityException {
    return privateKey(algorithm, newKeyPair(algorithm).getPrivate().getEncoded(), "generated");
  }

  /** Generated by the JDK, whose encodings are the standard ones (PKCS#8 v1 and X.509, as openssl writes them). */
  private static KeyPair newKeyPair(JwsAlgorithm algorithm) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm.keyType());
    if (algorithm == JwsAlgorithm.RS256) {
      generator.initialize(JwtKeys.MIN_RSA_BITS);
    }
    return generator.generateKeyPair();
  }

  private static String typeName(ASN1ObjectIdentifier oid) {
    return KEY_TYPES.getOrDefault(oid, "unknown (" + oid.getId() + ")");
  }

  private static String otherAlgorithmHint(String type) {
    for (JwsAlgorithm other : JwsAlgorithm.values()) {
      if (other.keyType().equals(type)) {
        return " (set " + JwsAlgorithm.SETTING + "=" + other.wireName() + " to sign with this key)";
      }
    }
    return "";
  }

  private static void requireSize(BigInteger modulus, String source) {
    if (modulus.bitLength() < JwtKeys.MIN_RSA_BITS) {
      throw new IllegalArgumentException("the JWT key " + source + " has " + modulus.bitLength() + " bits; at least "
        + JwtKeys.MIN_RSA_BITS + " are required");
    }
  }

  private static String readText(Path file, String what) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the " + what + " " + file + ": " + e.getMessage());
    }
  }

  private static byte[] pemBody(String text, String label, Path file) {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException(file + " is not a PEM file with a '" + begin + "' block");
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " holds invalid base64 in its PEM block");
    }
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n"
      + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
      + "\n-----END " + label + "-----\n";
  }

  private static void writeAtomically(Path target, String content) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
