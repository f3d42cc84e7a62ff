package io.latchkey.auth.token;

/**
 * The JWS algorithms access tokens may be signed with ({@code JWT_ALGORITHM}), each tied to the
 * one key type that makes it: RS256 to RSA keys of at least {@value JwtKeys#MIN_RSA_BITS} bits,
 * EdDSA to Ed25519 keys (RFC 8037; Ed448, the other EdDSA curve, is not accepted). A key is
 * pinned to the algorithm of its type: a token's header must name exactly that algorithm.
 */
public enum JwsAlgorithm {

  RS256("RS256", "RSA", "jwt-private.pem", "jwt-public.pem"),
  EDDSA("EdDSA", "Ed25519", "jwt-eddsa-private.pem", "jwt-eddsa-public.pem");

  /** The environment variable that chooses the signing algorithm. */
  public static final String SETTING = "JWT_ALGORITHM";

  private static final JwsAlgorithm[] ALL = values();

  private final String wireName;
  private final String keyType;
  private final String privateFile;
  private final String publicFile;

  JwsAlgorithm(String wireName, String keyType, String privateFile, String publicFile) {
    this.wireName = wireName;
    this.keyType = keyType;
    this.privateFile = privateFile;
    this.publicFile = publicFile;
  }

  /** The {@code alg} of the JWS header and of the JWK, case and all. */
  public String wireName() {
    return wireName;
  }

  /** The type of key this algorithm signs with, as error messages name it. */
  public String keyType() {
    return keyType;
  }

  /**
   * The file names of the key pair in a keys folder ({@code keygen}, {@code JWT_KEYS_DIR}); one
   * pair per algorithm, so that one development folder serves either setting.
   */
  public String privateFile() {
    return privateFile;
  }

  public String publicFile() {
    return publicFile;
  }

  /** The setting's value: {@code RS256} when absent, else exactly one of the wire names. */
  public static JwsAlgorithm parse(String raw) {
    if (raw == null || raw.isBlank()) {
      return RS256;
    }
    JwsAlgorithm algorithm = ofWireName(raw.trim());
    if (algorithm == null) {
      throw new IllegalArgumentException("invalid setting " + SETTING + "=" + raw + " (expected RS256 or EdDSA)");
    }
    return algorithm;
  }

  /** The algorithm a JWS header names, or null for anything else (none, HS256, rs256, ...). */
  public static JwsAlgorithm ofWireName(Object alg) {
    for (JwsAlgorithm algorithm : ALL) {
      if (algorithm.wireName.equals(alg)) {
        return algorithm;
      }
    }
    return null;
  }
}
