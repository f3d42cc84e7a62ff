package io.latchkey.auth.token;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys of access tokens: one private key that signs (with its {@code kid}) and every public
 * key that may still verify a live token (the signing key's own, plus the previous signing keys
 * kept during a rotation, which may be of the other algorithm: RS256 and EdDSA keys verify side
 * by side, each only its own algorithm). A {@code kid} is the RFC 7638 thumbprint of the public
 * key unless configured otherwise, so the same PEM files give the same kid on every node.
 */
public final class JwtKeys {

  private static final Logger LOG = LoggerFactory.getLogger(JwtKeys.class);
  public static final int MIN_RSA_BITS = 2048;
  /** The RS256 key files of a keys folder (the names from before EdDSA, kept). */
  public static final String PRIVATE_FILE = JwsAlgorithm.RS256.privateFile();
  public static final String PUBLIC_FILE = JwsAlgorithm.RS256.publicFile();

  private final String signingKid;
  private final JwtSigningKey signingKey;
  private final Map<String, JwtPublicKey> verificationKeys;

  public JwtKeys(String signingKid, JwtSigningKey signingKey, Map<String, JwtPublicKey> verificationKeys) {
    JwtPublicKey own = verificationKeys.get(signingKid);
    if (own == null || !own.thumbprint().equals(signingKey.publicKey().thumbprint())) {
      throw new IllegalArgumentException("the signing key's public key must be among the verification keys, under its kid");
    }
    this.signingKid = signingKid;
    this.signingKey = signingKey;
    // the insertion order is kept: the signing key first in the JWK set, then the previous keys as configured
    this.verificationKeys = Collections.unmodifiableMap(new LinkedHashMap<>(verificationKeys));
  }

  /** Keys that sign and verify with {@code signingKey} alone, under {@code kid} (tests and the bench). */
  public static JwtKeys of(String kid, JwtSigningKey signingKey) {
    return new JwtKeys(kid, signingKey, Map.of(kid, signingKey.publicKey()));
  }

  /**
   * Loads the signing key (PKCS#8 PEM, of the type {@code algorithm} signs with) and the extra
   * verification keys (X.509 PEM, RSA or Ed25519 whatever {@code algorithm} is).
   *
   * @param algorithm           JWT_ALGORITHM: a private key of another type is refused
   * @param privateKeyFile      the private signing key
   * @param signingKid          its kid, or null for the RFC 7638 thumbprint
   * @param extraPublicKeyFiles previous signing keys still verifying live tokens; each either a
   *                            path (kid = thumbprint) or {@code kid=path}
   */
  public static JwtKeys load(JwsAlgorithm algorithm, Path privateKeyFile, String signingKid, List<String> extraPublicKeyFiles) {
    JwtSigningKey privateKey = JwtKeyFiles.readPrivateKey(algorithm, privateKeyFile);
    String kid = signingKid == null || signingKid.isBlank() ? privateKey.publicKey().thumbprint() : signingKid.trim();
    Map<String, JwtPublicKey> keys = new LinkedHashMap<>();
    keys.put(kid, privateKey.publicKey());
    for (String entry : extraPublicKeyFiles) {
      int eq = entry.indexOf('=');
      Path file = Path.of(eq > 0 ? entry.substring(eq + 1).trim() : entry.trim());
      JwtPublicKey extra = JwtKeyFiles.readPublicKey(file);
      String extraKid = eq > 0 ? entry.substring(0, eq).trim() : extra.thumbprint();
      JwtPublicKey known = keys.putIfAbsent(extraKid, extra);
      if (known != null && !known.thumbprint().equals(extra.thumbprint())) {
        throw new IllegalArgumentException("two different JWT keys share the kid " + extraKid);
      }
    }
    return new JwtKeys(kid, privateKey, keys);
  }

  /**
   * Writes a fresh key pair of {@code algorithm} to {@code dir} (for RS256 a 2048-bit RSA pair in
   * {@value #PRIVATE_FILE}, PKCS#8 PEM, and {@value #PUBLIC_FILE}, X.509 PEM; for EdDSA an Ed25519
   * pair in {@code jwt-eddsa-private.pem} and {@code jwt-eddsa-public.pem}) unless the private key
   * file already exists: running it again keeps the keys, so tokens issued earlier stay valid.
   * For development and tests only.
   */
  public static void generateDevelopmentKeys(JwsAlgorithm algorithm, Path dir) {
    try {
      JwtPublicKey key = JwtKeyFiles.generate(algorithm, dir);
      LOG.info("development {} JWT keys in {} (kid {})", algorithm.wireName(), dir, key.thumbprint());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot write development JWT keys to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A fresh signing key of {@code algorithm}, in memory only (the bench and tests; services load theirs from PEM files). */
  public static JwtSigningKey newSigningKey(JwsAlgorithm algorithm) {
    try {
      return JwtKeyFiles.generate(algorithm);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + algorithm.keyType() + " key", e);
    }
  }

  public String signingKid() {
    return signingKid;
  }

  public JwtSigningKey signingKey() {
    return signingKey;
  }

  /**
   * The JWS {@code alg} of the signing key: what access tokens carry in their header and what the
   * JWK set and the discovery documents announce. Taken from the key, not assumed by its readers,
   * so that another key type brings its own algorithm to all of them at once.
   */
  public String signingAlgorithm() {
    return signingKey.algorithm().wireName();
  }

  /**
   * The algorithms of every verification key, the signing key's first: during a rotation across
   * algorithms, both (a client that takes its allowed algorithms from the discovery document,
   * as npm jose's callers do, must accept the previous key's live tokens too).
   */
  public List<String> verificationAlgorithms() {
    List<String> algorithms = new ArrayList<>();
    algorithms.add(signingAlgorithm());
    verificationKeys.values().forEach(key -> {
      if (!algorithms.contains(key.algorithm().wireName())) {
        algorithms.add(key.algorithm().wireName());
      }
    });
    return List.copyOf(algorithms);
  }

  /** The public key of a kid, or null. An exact map lookup: a path-like or unknown kid finds nothing. */
  public JwtPublicKey verificationKey(String kid) {
    return kid == null ? null : verificationKeys.get(kid);
  }

  public Map<String, JwtPublicKey> verificationKeys() {
    return verificationKeys;
  }

  /** The JWK set of every key that can verify a live token (RFC 7517; Ed25519 keys as RFC 8037 OKP keys). */
  public JsonObject jwks() {
    JsonArray keys = new JsonArray();
    verificationKeys.forEach((kid, key) -> keys.add(key.jwk(kid)));
    return new JsonObject().put("keys", keys);
  }
}
