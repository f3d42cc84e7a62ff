package io.latchkey.auth.token;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Access tokens: round trip, claims, expiry, rotation (within and across algorithms), JWKS, and
 * the forged-token list, each run with an RS256 and an EdDSA (Ed25519) signing key.
 */
class AccessTokensTest {

  @TempDir
  static Path dir;
  static final Map<JwsAlgorithm, JwtKeys> KEYS = new EnumMap<>(JwsAlgorithm.class);
  static final Map<JwsAlgorithm, AccessTokens> TOKENS = new EnumMap<>(JwsAlgorithm.class);
  static final TokenSettings SETTINGS = new TokenSettings("latchkey-auth", "latchkey", Duration.ofMinutes(15),
    Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10));
  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  @BeforeAll
  static void keys() {
    for (JwsAlgorithm algorithm : JwsAlgorithm.values()) {
      JwtKeys.generateDevelopmentKeys(algorithm, dir.resolve("current"));
      JwtKeys keys = JwtKeys.load(algorithm, dir.resolve("current").resolve(algorithm.privateFile()), null, List.of());
      KEYS.put(algorithm, keys);
      TOKENS.put(algorithm, new AccessTokens(keys, SETTINGS, Clock.systemUTC()));
    }
  }

  static String issue(JwsAlgorithm algorithm) {
    return issue(TOKENS.get(algorithm));
  }

  static String issue(AccessTokens tokens) {
    return tokens.issue(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "alice", List.of("user"), 3, Long.MAX_VALUE);
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void anIssuedTokenVerifiesWithEveryClaimOfTheContract(JwsAlgorithm algorithm) {
    AccessTokens tokens = TOKENS.get(algorithm);
    String userId = UUID.randomUUID().toString();
    String sessionId = UUID.randomUUID().toString();
    long before = Instant.now().getEpochSecond();
    String token = tokens.issue(userId, sessionId, "alice", List.of("user", "admin"), 7, Long.MAX_VALUE);

    TokenCheck check = tokens.verify(token);

    assertThat(check.valid()).isTrue();
    AccessClaims c = check.claims();
    assertThat(c.userId()).isEqualTo(userId);
    assertThat(c.sessionId()).isEqualTo(sessionId);
    assertThat(c.username()).isEqualTo("alice");
    assertThat(c.roles()).containsExactly("user", "admin");
    assertThat(c.generation()).isEqualTo(7);
    assertThat(c.issuer()).isEqualTo("latchkey-auth");
    assertThat(c.audience()).isEqualTo("latchkey");
    assertThat(c.issuedAt()).isBetween(before, before + 2);
    assertThat(c.expiresAt()).isEqualTo(c.issuedAt() + 900);
    assertThat(UUID.fromString(c.tokenId())).isNotNull();
    JsonObject header = part(token, 0);
    assertThat(header.getString("alg")).isEqualTo(algorithm.wireName());
    assertThat(header.getString("kid")).isEqualTo(KEYS.get(algorithm).signingKid());
    JsonObject payload = part(token, 1);
    assertThat(payload.fieldNames()).contains("iss", "aud", "sub", "sid", "jti", "iat", "exp", "roles", "username");
    assertThat(Base64.getUrlDecoder().decode(token.split("\\.")[2]))
      .hasSize(algorithm == JwsAlgorithm.EDDSA ? 64 : 256);
  }

  @Test
  void anEd25519KeySignsAsRfc8037SaysAndTheKidIsItsThumbprint() {
    // RFC 8037 appendix A: the key (A.1), its thumbprint (A.3) and the signature of A.4, which Ed25519 makes deterministically
    JwtSigningKey key = new JwtSigningKey.Ed25519(new Ed25519PrivateKeyParameters(
      Base64.getUrlDecoder().decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")));
    assertThat(key.publicKey().jwk("k").getString("x")).isEqualTo("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    assertThat(key.publicKey().thumbprint()).isEqualTo("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    byte[] input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".getBytes(StandardCharsets.US_ASCII);
    String signature = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    assertThat(B64.encodeToString(key.sign(input))).isEqualTo(signature);
    assertThat(key.publicKey().verifies(input, Base64.getUrlDecoder().decode(signature))).isTrue();
    assertThat(JwtKeys.of("k", key).jwks().getJsonArray("keys").getJsonObject(0)).isEqualTo(new JsonObject()
      .put("kty", "OKP").put("crv", "Ed25519").put("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
      .put("use", "sig").put("alg", "EdDSA").put("kid", "k"));
  }

  @Test
  void ed25519KeysInTheRfc8410PemFormOpensslWritesAreRead() throws Exception {
    // RFC 8410 section 10.3 (private key) and 10.1 (its public key)
    Path privateKey = dir.resolve("rfc8410-private.pem");
    Files.writeString(privateKey, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
      + "-----END PRIVATE KEY-----\n");
    Path publicKey = dir.resolve("rfc8410-public.pem");
    Files.writeString(publicKey, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
      + "-----END PUBLIC KEY-----\n");
    JwtKeys keys = JwtKeys.load(JwsAlgorithm.EDDSA, privateKey, "k", List.of("previous=" + publicKey));
    assertThat(keys.verificationKey("k").thumbprint()).as("the public key derived from the private one is the file's")
      .isEqualTo(keys.verificationKey("previous").thumbprint());
    assertThat(keys.verificationKey("k").encoded()).isEqualTo(Base64.getMimeDecoder()
      .decode("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="));
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void amrIsCarriedAndATokenWithoutTheClaimReadsAsAPasswordLogin(JwsAlgorithm algorithm) throws Exception {
    AccessTokens tokens = TOKENS.get(algorithm);
    String userId = UUID.randomUUID().toString();
    String mfa = tokens.issue(userId, UUID.randomUUID().toString(), "alice", List.of("user"), 1, AccessClaims.PASSWORD_AND_OTP,
      Long.MAX_VALUE);
    assertThat(part(mfa, 1).getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
    assertThat(tokens.verify(mfa).claims().amr()).containsExactly("pwd", "otp", "mfa");
    assertThat(tokens.verify(mfa).toValidateJson().getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
    assertThat(tokens.verify(mfa).toIntrospectionJson().getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");

    // as issued before this release: the same claims, no amr, signed by the same key
    JsonObject payload = part(issue(algorithm), 1);
    payload.remove("amr");
    String legacy = resign(algorithm, payload);
    assertThat(tokens.verify(legacy).valid()).isTrue();
    assertThat(tokens.verify(legacy).claims().amr()).containsExactly("pwd");

    payload.put("amr", "pwd");
    assertThat(tokens.verify(resign(algorithm, payload)).reason()).as("amr not an array").isEqualTo(TokenCheck.Reason.MALFORMED);
    payload.put("amr", new JsonArray().add(1));
    assertThat(tokens.verify(resign(algorithm, payload)).reason()).as("amr of non-strings").isEqualTo(TokenCheck.Reason.MALFORMED);
  }

  /** The payload signed with the current key of {@code algorithm}, as this service signs. */
  private static String resign(JwsAlgorithm algorithm, JsonObject payload) {
    JwtKeys keys = KEYS.get(algorithm);
    return signed(new JsonObject().put("alg", algorithm.wireName()).put("typ", "JWT").put("kid", keys.signingKid()),
      payload, keys.signingKey());
  }

  /** A compact JWS of exactly this header and payload, signed by {@code key}. */
  private static String signed(JsonObject header, JsonObject payload, JwtSigningKey key) {
    String input = B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
      + B64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8));
    return input + "." + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void theTokenNeverOutlivesItsSession(JwsAlgorithm algorithm) {
    long sessionEnd = Instant.now().getEpochSecond() + 60;
    AccessTokens tokens = TOKENS.get(algorithm);
    String token = tokens.issue(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "alice", List.of("user"), 0, sessionEnd);
    assertThat(tokens.verify(token).claims().expiresAt()).isEqualTo(sessionEnd);
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void anExpiredTokenIsExpired(JwsAlgorithm algorithm) {
    AccessTokens later = new AccessTokens(KEYS.get(algorithm), SETTINGS, Clock.fixed(Instant.now().plusSeconds(901), ZoneOffset.UTC));
    assertThat(later.verify(issue(algorithm)).reason()).isEqualTo(TokenCheck.Reason.EXPIRED);
  }

  // ---- the forged-token list, against each algorithm's keys

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void algNoneInAnyCaseIsRefused(JwsAlgorithm algorithm) {
    String token = issue(algorithm);
    for (String alg : List.of("none", "None", "NONE", "nOnE")) {
      String header = encode(new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", KEYS.get(algorithm).signingKid()));
      String payload = token.split("\\.")[1];
      AccessTokens tokens = TOKENS.get(algorithm);
      assertThat(tokens.verify(header + "." + payload + ".").valid()).as(alg + " without signature").isFalse();
      assertThat(tokens.verify(header + "." + payload).valid()).as(alg + " two parts").isFalse();
      assertThat(tokens.verify(header + "." + payload + "." + token.split("\\.")[2]).reason()).as(alg + " with the real signature")
        .isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    }
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void hs256SignedWithThePublicKeyIsRefused(JwsAlgorithm algorithm) throws Exception {
    JwtKeys keys = KEYS.get(algorithm);
    JwtPublicKey publicKey = keys.verificationKey(keys.signingKid());
    List<byte[]> secrets = new ArrayList<>(List.of(publicKey.encoded(),
      Files.readAllBytes(dir.resolve("current").resolve(algorithm.publicFile()))));
    if (publicKey instanceof JwtPublicKey.Ed25519) {
      // the JWK's raw x, as a confused verifier might take "the key bytes"
      secrets.add(Base64.getUrlDecoder().decode(publicKey.jwk("k").getString("x")));
    }
    String token = issue(algorithm);
    for (String alg : List.of("HS256", "HS512")) {
      for (byte[] secret : secrets) {
        String input = encode(new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", keys.signingKid())) + "." + token.split("\\.")[1];
        String javaAlg = "Hmac" + alg.replace("HS", "SHA");
        Mac mac = Mac.getInstance(javaAlg);
        mac.init(new SecretKeySpec(secret, javaAlg));
        String forged = input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        assertThat(TOKENS.get(algorithm).verify(forged).reason()).as(alg).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void theOtherAlgorithmOnThisKidIsRefusedWhateverSignsIt(JwsAlgorithm algorithm) {
    JwsAlgorithm other = algorithm == JwsAlgorithm.RS256 ? JwsAlgorithm.EDDSA : JwsAlgorithm.RS256;
    JwtKeys keys = KEYS.get(algorithm);
    String token = issue(algorithm);
    String[] parts = token.split("\\.");
    JsonObject swapped = new JsonObject().put("alg", other.wireName()).put("typ", "JWT").put("kid", keys.signingKid());
    // the real signature under a header naming the other algorithm
    assertThat(TOKENS.get(algorithm).verify(encode(swapped) + "." + parts[1] + "." + parts[2]).reason())
      .isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    // signed by this very key but labelled with the other algorithm: the algorithm is pinned to the key, not taken from the header
    assertThat(TOKENS.get(algorithm).verify(signed(swapped, part(token, 1), keys.signingKey())).reason())
      .isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    // a valid signature of the other algorithm (by a key of that type) under this kid
    String otherSigned = signed(swapped, part(token, 1), KEYS.get(other).signingKey());
    assertThat(TOKENS.get(algorithm).verify(otherSigned).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    // other spellings of this key's own algorithm
    for (String alg : List.of(algorithm.wireName().toLowerCase(), algorithm.wireName().toUpperCase(), "Ed25519", "ES256", "PS256", "")) {
      if (alg.equals(algorithm.wireName())) {
        continue;
      }
      JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", keys.signingKid());
      assertThat(TOKENS.get(algorithm).verify(encode(header) + "." + parts[1] + "." + parts[2]).reason()).as(alg)
        .isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    }
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void aTokenSignedByAnotherKeyOfTheSameTypeUnderTheRightKidIsRefused(JwsAlgorithm algorithm) {
    JwtKeys.generateDevelopmentKeys(algorithm, dir.resolve("attacker"));
    JwtKeys attacker = JwtKeys.load(algorithm, dir.resolve("attacker").resolve(algorithm.privateFile()), null, List.of());
    String token = issue(algorithm);
    String forged = signed(part(token, 0), part(token, 1).put("roles", List.of("admin")), attacker.signingKey());
    assertThat(part(forged, 0).getString("kid")).isEqualTo(KEYS.get(algorithm).signingKid());
    assertThat(TOKENS.get(algorithm).verify(forged).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void noKeyIsTakenFromTheToken(JwsAlgorithm algorithm) throws Exception {
    JwtKeys.generateDevelopmentKeys(algorithm, dir.resolve("attacker"));
    JwtKeys attacker = JwtKeys.load(algorithm, dir.resolve("attacker").resolve(algorithm.privateFile()), null, List.of());
    JsonObject attackerJwk = attacker.jwks().getJsonArray("keys").getJsonObject(0);
    String token = issue(algorithm);
    JsonObject payload = part(token, 1);
    String kid = KEYS.get(algorithm).signingKid();
    List<JsonObject> headers = List.of(
      base(algorithm, kid).put("jwk", attackerJwk),
      base(algorithm, null).put("jwk", attackerJwk),
      base(algorithm, kid).put("jwk", attackerJwk.copy().put("crv", "Ed448")),
      base(algorithm, kid).put("jku", "https://attacker.example/jwks.json"),
      base(algorithm, kid).put("x5u", "https://attacker.example/cert.pem"),
      base(algorithm, kid).put("x5c", new JsonArray().add(Base64.getEncoder().encodeToString(attacker.verificationKey(attacker.signingKid()).encoded()))),
      base(algorithm, kid).put("crit", new JsonArray().add("exp")).put("exp", 1));
    for (JsonObject header : headers) {
      // signed by the attacker's key (which the header carries or points to), and by our own
      assertThat(TOKENS.get(algorithm).verify(signed(header, payload, attacker.signingKey())).valid()).as(header.encode()).isFalse();
      assertThat(TOKENS.get(algorithm).verify(signed(header, payload, KEYS.get(algorithm).signingKey())).reason()).as(header.encode())
        .isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    }
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void aTruncatedPaddedOrEmptySignatureIsRefused(JwsAlgorithm algorithm) {
    String token = issue(algorithm);
    String[] parts = token.split("\\.");
    byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
    for (int length : List.of(0, 1, signature.length - 1, signature.length + 1, 114, 2 * signature.length)) {
      byte[] changed = java.util.Arrays.copyOf(signature, length);
      String forged = parts[0] + "." + parts[1] + "." + B64.encodeToString(changed);
      TokenCheck check = TOKENS.get(algorithm).verify(forged);
      assertThat(check.valid()).as(length + " bytes").isFalse();
    }
  }

  @Test
  void aMalleatedEd25519SignatureIsRefused() {
    // S + L is the same point equation with a non-canonical scalar (RFC 8032 section 5.1.7 requires S < L)
    String token = issue(JwsAlgorithm.EDDSA);
    String[] parts = token.split("\\.");
    byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
    BigInteger l = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    byte[] s = java.util.Arrays.copyOfRange(signature, 32, 64);
    BigInteger malleated = littleEndian(s).add(l);
    byte[] forgedSignature = java.util.Arrays.copyOf(signature, 64);
    byte[] sPlusL = toLittleEndian(malleated, 32);
    System.arraycopy(sPlusL, 0, forgedSignature, 32, 32);
    assertThat(forgedSignature).isNotEqualTo(signature);
    String forged = parts[0] + "." + parts[1] + "." + B64.encodeToString(forgedSignature);
    assertThat(TOKENS.get(JwsAlgorithm.EDDSA).verify(forged).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
  }

  private static BigInteger littleEndian(byte[] bytes) {
    byte[] bigEndian = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      bigEndian[i] = bytes[bytes.length - 1 - i];
    }
    return new BigInteger(1, bigEndian);
  }

  private static byte[] toLittleEndian(BigInteger value, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = value.shiftRight(8 * i).byteValue();
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void unknownMissingOrPathLikeKidIsUnknownKey(JwsAlgorithm algorithm) {
    String token = issue(algorithm);
    String[] parts = token.split("\\.");
    String kidOfTheOther = KEYS.get(algorithm == JwsAlgorithm.RS256 ? JwsAlgorithm.EDDSA : JwsAlgorithm.RS256).signingKid();
    for (Object kid : new Object[] {"other-key", "../../../../etc/passwd", "/dev/null", KEYS.get(algorithm).signingKid() + " ",
      kidOfTheOther, 42, null}) {
      JsonObject header = base(algorithm, null);
      if (kid != null) {
        header.put("kid", kid);
      }
      String forged = encode(header) + "." + parts[1] + "." + parts[2];
      assertThat(TOKENS.get(algorithm).verify(forged).reason()).as("kid " + kid).isEqualTo(TokenCheck.Reason.UNKNOWN_KEY);
    }
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void aTamperedPayloadFailsTheSignature(JwsAlgorithm algorithm) {
    String token = issue(algorithm);
    String[] parts = token.split("\\.");
    JsonObject payload = part(token, 1).put("roles", List.of("user", "admin"));
    String forged = parts[0] + "." + B64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertThat(TOKENS.get(algorithm).verify(forged).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    // the second-to-last character (all six of its bits are signature bits) replaced by another one
    char second = token.charAt(token.length() - 2);
    String flipped = token.substring(0, token.length() - 2) + (second == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
    assertThat(TOKENS.get(algorithm).verify(flipped).valid()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void garbageAndHugeStringsAreMalformed(JwsAlgorithm algorithm) {
    AccessTokens tokens = TOKENS.get(algorithm);
    String token = issue(algorithm);
    List<String> garbage = List.of("", "garbage", "a.b.c", "...", "eyJhbGciOiJSUzI1NiJ9", token + ".extra", token + "=",
      token.replace('.', ' '), " " + token, "x".repeat(20_000), token.substring(0, 10) + "%" + token.substring(11),
      B64.encodeToString("[1,2]".getBytes(StandardCharsets.UTF_8)) + "." + token.split("\\.")[1] + "." + token.split("\\.")[2],
      "\u0000\u0001.\u0002.\u0003");
    for (String g : garbage) {
      TokenCheck check = tokens.verify(g);
      assertThat(check.valid()).as(g.length() > 60 ? g.substring(0, 60) : g).isFalse();
      assertThat(check.reason()).isNotNull();
    }
    assertThat(tokens.verify("x".repeat(20_000)).reason()).isEqualTo(TokenCheck.Reason.MALFORMED);
    assertThat(tokens.verify(null).reason()).isEqualTo(TokenCheck.Reason.MALFORMED);
  }

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void aWrongIssuerOrAudienceIsRefusedEvenWithAGoodSignature(JwsAlgorithm algorithm) {
    JwtKeys keys = KEYS.get(algorithm);
    AccessTokens otherIssuer = new AccessTokens(keys, new TokenSettings("someone-else", "latchkey", Duration.ofMinutes(15),
      Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10)), Clock.systemUTC());
    AccessTokens otherAudience = new AccessTokens(keys, new TokenSettings("latchkey-auth", "another-api", Duration.ofMinutes(15),
      Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10)), Clock.systemUTC());
    String userId = UUID.randomUUID().toString();
    assertThat(TOKENS.get(algorithm).verify(otherIssuer.issue(userId, userId, "a", List.of(), 0, Long.MAX_VALUE)).valid()).isFalse();
    assertThat(TOKENS.get(algorithm).verify(otherAudience.issue(userId, userId, "a", List.of(), 0, Long.MAX_VALUE)).valid()).isFalse();
  }

  // ---- rotation

  @Test
  void rotationKeepsTheOldKeyVerifyingAndTheJwksListsBoth() {
    JwtKeys keys = KEYS.get(JwsAlgorithm.RS256);
    JwtKeys.generateDevelopmentKeys(JwsAlgorithm.RS256, dir.resolve("next"));
    JwtKeys rotated = JwtKeys.load(JwsAlgorithm.RS256, dir.resolve("next").resolve(JwtKeys.PRIVATE_FILE), null,
      List.of(dir.resolve("current").resolve(JwtKeys.PUBLIC_FILE).toString()));
    AccessTokens afterRotation = new AccessTokens(rotated, SETTINGS, Clock.systemUTC());
    String oldToken = issue(JwsAlgorithm.RS256);
    String newToken = issue(afterRotation);

    assertThat(afterRotation.verify(oldToken).valid()).as("a token of the previous key").isTrue();
    assertThat(afterRotation.verify(newToken).valid()).isTrue();
    assertThat(TOKENS.get(JwsAlgorithm.RS256).verify(newToken).reason()).as("a node without the new key").isEqualTo(TokenCheck.Reason.UNKNOWN_KEY);
    assertThat(rotated.signingKid()).isNotEqualTo(keys.signingKid());
    assertThat(rotated.jwks().getJsonArray("keys").stream().map(k -> ((JsonObject) k).getString("kid")))
      .containsExactly(rotated.signingKid(), keys.signingKid());
    JsonObject jwk = rotated.jwks().getJsonArray("keys").getJsonObject(0);
    assertThat(jwk.fieldNames()).containsExactlyInAnyOrder("kty", "use", "alg", "kid", "n", "e");
    assertThat(jwk.getString("kty")).isEqualTo("RSA");
    assertThat(jwk.getString("alg")).isEqualTo("RS256");
    assertThat(jwk.getString("e")).isEqualTo("AQAB");
    assertThat(Base64.getUrlDecoder().decode(jwk.getString("n"))).hasSize(256);
    assertThat(rotated.verificationAlgorithms()).containsExactly("RS256");
  }

  /**
   * A node that signs with a key of one algorithm while the JWK set still publishes the previous
   * key of the other, until the previous key's tokens have expired and the operator drops it
   * from JWT_PUBLIC_KEY_FILES.
   */
  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void rotationAcrossAlgorithmsKeepsThePreviousKeyOfTheOtherAlgorithmVerifying(JwsAlgorithm next) {
    JwsAlgorithm previous = next == JwsAlgorithm.RS256 ? JwsAlgorithm.EDDSA : JwsAlgorithm.RS256;
    JwtKeys before = KEYS.get(previous);
    JwtKeys.generateDevelopmentKeys(next, dir.resolve("across-" + next));
    Path nextPrivate = dir.resolve("across-" + next).resolve(next.privateFile());
    JwtKeys during = JwtKeys.load(next, nextPrivate, null, List.of(dir.resolve("current").resolve(previous.publicFile()).toString()));
    AccessTokens duringTokens = new AccessTokens(during, SETTINGS, Clock.systemUTC());
    String oldToken = issue(previous);
    String newToken = issue(duringTokens);

    assertThat(part(newToken, 0).getString("alg")).isEqualTo(next.wireName());
    assertThat(duringTokens.verify(oldToken).valid()).as("a live token of the previous key, of the other algorithm").isTrue();
    assertThat(duringTokens.verify(newToken).valid()).isTrue();
    assertThat(during.signingAlgorithm()).isEqualTo(next.wireName());
    assertThat(during.verificationAlgorithms()).as("the discovery documents' list: the signing one first")
      .containsExactly(next.wireName(), previous.wireName());
    JsonArray jwks = during.jwks().getJsonArray("keys");
    assertThat(jwks.stream().map(k -> ((JsonObject) k).getString("kid"))).containsExactly(during.signingKid(), before.signingKid());
    assertThat(jwks.stream().map(k -> ((JsonObject) k).getString("alg"))).containsExactly(next.wireName(), previous.wireName());
    JsonObject okp = jwks.stream().map(JsonObject.class::cast).filter(k -> "OKP".equals(k.getString("kty"))).findFirst().orElseThrow();
    assertThat(okp.fieldNames()).containsExactlyInAnyOrder("kty", "crv", "x", "kid", "alg", "use");
    assertThat(okp.getString("crv")).isEqualTo("Ed25519");
    assertThat(okp.getString("use")).isEqualTo("sig");
    assertThat(Base64.getUrlDecoder().decode(okp.getString("x"))).hasSize(32);

    // the previous key's tokens on a kid of the new key's algorithm, and the reverse: refused
    String confused = signed(part(oldToken, 0).put("kid", during.signingKid()), part(oldToken, 1), before.signingKey());
    assertThat(duringTokens.verify(confused).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);

    // after the previous key's tokens expired, the operator drops it: the JWK set holds the new key alone
    JwtKeys after = JwtKeys.load(next, nextPrivate, null, List.of());
    assertThat(after.jwks().getJsonArray("keys")).hasSize(1);
    assertThat(after.verificationAlgorithms()).containsExactly(next.wireName());
    assertThat(new AccessTokens(after, SETTINGS, Clock.systemUTC()).verify(oldToken).reason()).isEqualTo(TokenCheck.Reason.UNKNOWN_KEY);
  }

  // ---- key files

  @ParameterizedTest
  @EnumSource(JwsAlgorithm.class)
  void developmentKeysAreKeptWhenGeneratedAgainAndTheKidIsTheThumbprint(JwsAlgorithm algorithm) throws Exception {
    Path d = dir.resolve("again");
    JwtKeys.generateDevelopmentKeys(algorithm, d);
    byte[] first = Files.readAllBytes(d.resolve(algorithm.privateFile()));
    JwtKeys.generateDevelopmentKeys(algorithm, d);
    assertThat(Files.readAllBytes(d.resolve(algorithm.privateFile()))).isEqualTo(first);
    JwtKeys loaded = JwtKeys.load(algorithm, d.resolve(algorithm.privateFile()), null, List.of());
    assertThat(loaded.signingKid()).isEqualTo(loaded.verificationKey(loaded.signingKid()).thumbprint());
    assertThat(JwtKeys.load(algorithm, d.resolve(algorithm.privateFile()), "2026-11", List.of()).signingKid()).isEqualTo("2026-11");
  }

  @Test
  void aKeyFileThatIsNotAnRsaPkcs8KeyIsRefusedWithItsName() throws Exception {
    Path bad = dir.resolve("bad.pem");
    Files.writeString(bad, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> JwtKeys.load(JwsAlgorithm.RS256, bad, null, List.of())).hasMessageContaining("PKCS#1").hasMessageContaining("bad.pem");
    assertThatThrownBy(() -> JwtKeys.load(JwsAlgorithm.RS256, dir.resolve("missing.pem"), null, List.of())).hasMessageContaining("missing.pem");
  }

  @Test
  void aPrivateKeyOfTheWrongTypeForTheSettingIsRefusedNamingBoth() throws Exception {
    Path rsa = dir.resolve("current").resolve(JwsAlgorithm.RS256.privateFile());
    Path ed25519 = dir.resolve("current").resolve(JwsAlgorithm.EDDSA.privateFile());
    assertThatThrownBy(() -> JwtKeys.load(JwsAlgorithm.RS256, ed25519, null, List.of()))
      .hasMessage("the JWT private key " + ed25519 + " is a key of type Ed25519, but JWT_ALGORITHM=RS256 signs with RSA keys"
        + " (set JWT_ALGORITHM=EdDSA to sign with this key)");
    assertThatThrownBy(() -> JwtKeys.load(JwsAlgorithm.EDDSA, rsa, null, List.of()))
      .hasMessage("the JWT private key " + rsa + " is a key of type RSA, but JWT_ALGORITHM=EdDSA signs with Ed25519 keys"
        + " (set JWT_ALGORITHM=RS256 to sign with this key)");
    for (String type : List.of("EC", "Ed448")) {
      Path privateFile = dir.resolve(type + "-private.pem");
      Path publicFile = dir.resolve(type + "-public.pem");
      var pair = KeyPairGenerator.getInstance(type).generateKeyPair();
      Files.writeString(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
      for (JwsAlgorithm algorithm : JwsAlgorithm.values()) {
        assertThatThrownBy(() -> JwtKeys.load(algorithm, privateFile, null, List.of()))
          .hasMessage("the JWT private key " + privateFile + " is a key of type " + type + ", but JWT_ALGORITHM=" + algorithm.wireName()
            + " signs with " + algorithm.keyType() + " keys");
        assertThatThrownBy(() -> JwtKeys.load(algorithm, dir.resolve("current").resolve(algorithm.privateFile()), null,
          List.of(publicFile.toString())))
          .as("a previous key of another type").hasMessage("the JWT public key " + publicFile + " is a key of type " + type
            + "; JWT keys are RSA (RS256) or Ed25519 (EdDSA)");
      }
    }
    // 32 bytes that are no point of the curve (about half of all y values have no x)
    byte[] notAPoint = new byte[32];
    for (notAPoint[0] = 2; ; notAPoint[0]++) {
      try {
        new org.bouncycastle.crypto.params.Ed25519PublicKeyParameters(notAPoint);
      } catch (IllegalArgumentException e) {
        break;
      }
    }
    Path offCurve = dir.resolve("off-curve.pem");
    byte[] spki = new org.bouncycastle.asn1.x509.SubjectPublicKeyInfo(new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
      new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.101.112")), notAPoint).getEncoded();
    Files.writeString(offCurve, pem("PUBLIC KEY", spki));
    assertThatThrownBy(() -> JwtKeys.load(JwsAlgorithm.EDDSA, dir.resolve("current").resolve(JwsAlgorithm.EDDSA.privateFile()), null,
      List.of(offCurve.toString())))
      .hasMessage("the JWT public key " + offCurve + " is a malformed Ed25519 key; JWT keys are RSA (RS256) or Ed25519 (EdDSA)");
    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(garbage, pem("PRIVATE KEY", "not DER at all".getBytes(StandardCharsets.US_ASCII)));
    assertThatThrownBy(() -> JwtKeys.load(JwsAlgorithm.EDDSA, garbage, null, List.of()))
      .hasMessage("the JWT private key " + garbage + " is not a PKCS#8 key");
  }

  @Test
  void theSettingIsExactlyRs256OrEdDsa() {
    assertThat(JwsAlgorithm.parse(null)).isEqualTo(JwsAlgorithm.RS256);
    assertThat(JwsAlgorithm.parse("RS256")).isEqualTo(JwsAlgorithm.RS256);
    assertThat(JwsAlgorithm.parse(" EdDSA ")).isEqualTo(JwsAlgorithm.EDDSA);
    for (String bad : List.of("eddsa", "EDDSA", "Ed25519", "ES256", "HS256", "none", "RS512")) {
      assertThatThrownBy(() -> JwsAlgorithm.parse(bad)).hasMessage("invalid setting JWT_ALGORITHM=" + bad + " (expected RS256 or EdDSA)");
    }
  }

  private static JsonObject base(JwsAlgorithm algorithm, String kid) {
    JsonObject header = new JsonObject().put("alg", algorithm.wireName()).put("typ", "JWT");
    return kid == null ? header : header.put("kid", kid);
  }

  private static String encode(JsonObject json) {
    return B64.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + label + "-----\n";
  }

  static JsonObject part(String token, int index) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[index]), StandardCharsets.UTF_8));
  }
}
