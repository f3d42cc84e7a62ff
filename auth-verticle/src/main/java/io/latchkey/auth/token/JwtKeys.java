package io.latchkey.auth.token;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RSA keys of access tokens: one private key that signs (with its {@code kid}) and every
 * public key that may still verify a live token (the signing key's own, plus the previous
 * signing keys kept during a rotation). A {@code kid} is the RFC 7638 thumbprint of the public
 * key unless configured otherwise, so the same PEM files give the same kid on every node.
 */
public final class JwtKeys {

  private static final Logger LOG = LoggerFactory.getLogger(JwtKeys.class);
  public static final int MIN_RSA_BITS = 2048;
  public static final String PRIVATE_FILE = "jwt-private.pem";
  public static final String PUBLIC_FILE = "jwt-public.pem";

  private final String signingKid;
  private final RSAPrivateCrtKey signingKey;
  private final Map<String, RSAPublicKey> verificationKeys;

  public JwtKeys(String signingKid, RSAPrivateCrtKey signingKey, Map<String, RSAPublicKey> verificationKeys) {
    if (!verificationKeys.containsKey(signingKid)) {
      throw new IllegalArgumentException("the signing key's kid must be among the verification keys");
    }
    this.signingKid = signingKid;
    this.signingKey = signingKey;
    this.verificationKeys = Map.copyOf(verificationKeys);
  }

  /**
   * Loads the signing key (PKCS#8 PEM) and the extra verification keys (X.509 PEM).
   *
   * @param privateKeyFile      the private signing key
   * @param signingKid          its kid, or null for the RFC 7638 thumbprint
   * @param extraPublicKeyFiles previous signing keys still verifying live tokens; each either a
   *                            path (kid = thumbprint) or {@code kid=path}
   */
  public static JwtKeys load(Path privateKeyFile, String signingKid, List<String> extraPublicKeyFiles) {
    RSAPrivateCrtKey privateKey = readPrivateKey(privateKeyFile);
    RSAPublicKey publicKey = publicOf(privateKey);
    String kid = signingKid == null || signingKid.isBlank() ? thumbprint(publicKey) : signingKid.trim();
    Map<String, RSAPublicKey> keys = new LinkedHashMap<>();
    keys.put(kid, publicKey);
    for (String entry : extraPublicKeyFiles) {
      int eq = entry.indexOf('=');
      Path file = Path.of(eq > 0 ? entry.substring(eq + 1).trim() : entry.trim());
      RSAPublicKey extra = readPublicKey(file);
      String extraKid = eq > 0 ? entry.substring(0, eq).trim() : thumbprint(extra);
      if (keys.putIfAbsent(extraKid, extra) != null && !keys.get(extraKid).equals(extra)) {
        throw new IllegalArgumentException("two different JWT keys share the kid " + extraKid);
      }
    }
    return new JwtKeys(kid, privateKey, keys);
  }

  /**
   * Writes a fresh 2048-bit RSA key pair to {@code dir} ({@value #PRIVATE_FILE}, PKCS#8 PEM, and
   * {@value #PUBLIC_FILE}, X.509 PEM) unless the private key file already exists: running it
   * again keeps the keys, so tokens issued earlier stay valid. For development and tests only.
   */
  public static void generateDevelopmentKeys(Path dir) {
    try {
      Files.createDirectories(dir);
      Path privateFile = dir.resolve(PRIVATE_FILE);
      if (Files.exists(privateFile)) {
        return;
      }
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(MIN_RSA_BITS);
      KeyPair pair = generator.generateKeyPair();
      writeAtomically(dir.resolve(PUBLIC_FILE), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
      writeAtomically(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      LOG.info("generated development JWT keys in {} (kid {})", dir, thumbprint((RSAPublicKey) pair.getPublic()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot write development JWT keys to " + dir + ": " + e.getMessage(), e);
    }
  }

  public String signingKid() {
    return signingKid;
  }

  public RSAPrivateCrtKey signingKey() {
    return signingKey;
  }

  /**
   * The JWS {@code alg} of the signing key: what access tokens carry in their header and what the
   * JWK set and the discovery documents announce. Taken from the key, not assumed by its readers,
   * so that another key type brings its own algorithm to all of them at once.
   */
  public String signingAlgorithm() {
    return algorithmOf(signingKey);
  }

  private static String algorithmOf(java.security.Key key) {
    if ("RSA".equals(key.getAlgorithm())) {
      return "RS256";
    }
    throw new IllegalStateException("no JWS algorithm for a " + key.getAlgorithm() + " key");
  }

  /** The public key of a kid, or null. An exact map lookup: a path-like or unknown kid finds nothing. */
  public RSAPublicKey verificationKey(String kid) {
    return kid == null ? null : verificationKeys.get(kid);
  }

  public Map<String, RSAPublicKey> verificationKeys() {
    return verificationKeys;
  }

  /** The JWK set of every key that can verify a live token (RFC 7517). */
  public JsonObject jwks() {
    JsonArray keys = new JsonArray();
    verificationKeys.forEach((kid, key) -> keys.add(new JsonObject()
      .put("kty", "RSA")
      .put("use", "sig")
      .put("alg", algorithmOf(key))
      .put("kid", kid)
      .put("n", base64Url(unsigned(key.getModulus())))
      .put("e", base64Url(unsigned(key.getPublicExponent())))));
    return new JsonObject().put("keys", keys);
  }

  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key. */
  public static String thumbprint(RSAPublicKey key) {
    String canonical = "{\"e\":\"" + base64Url(unsigned(key.getPublicExponent())) + "\",\"kty\":\"RSA\",\"n\":\""
      + base64Url(unsigned(key.getModulus())) + "\"}";
    try {
      return base64Url(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static RSAPrivateCrtKey readPrivateKey(Path file) {
    String text = readText(file, "JWT private key");
    if (text.contains("BEGIN RSA PRIVATE KEY")) {
      throw new IllegalArgumentException("the JWT private key " + file + " is PKCS#1; convert it to PKCS#8: "
        + "openssl pkcs8 -topk8 -nocrypt -in old.pem -out new.pem");
    }
    try {
      var key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pemBody(text, "PRIVATE KEY", file)));
      if (!(key instanceof RSAPrivateCrtKey crt)) {
        throw new IllegalArgumentException("the JWT private key " + file + " lacks its CRT parameters");
      }
      requireSize(crt.getModulus(), file);
      return crt;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the JWT private key " + file + " is not an RSA PKCS#8 key: " + e.getMessage());
    }
  }

  static RSAPublicKey readPublicKey(Path file) {
    String text = readText(file, "JWT public key");
    try {
      RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(pemBody(text, "PUBLIC KEY", file)));
      requireSize(key.getModulus(), file);
      return key;
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalArgumentException("the JWT public key " + file + " is not an RSA X.509 key: " + e.getMessage());
    }
  }

  static RSAPublicKey publicOf(RSAPrivateCrtKey key) {
    try {
      return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void requireSize(BigInteger modulus, Path file) {
    if (modulus.bitLength() < MIN_RSA_BITS) {
      throw new IllegalArgumentException("the JWT key " + file + " has " + modulus.bitLength() + " bits; at least " + MIN_RSA_BITS + " are required");
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
