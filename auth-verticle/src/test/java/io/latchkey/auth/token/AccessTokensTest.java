package io.latchkey.auth.token;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Access tokens: round trip, claims, expiry, rotation, JWKS, and the forged-token list. */
class AccessTokensTest {

  @TempDir
  static Path dir;
  static JwtKeys keys;
  static AccessTokens tokens;
  static final TokenSettings SETTINGS = new TokenSettings("latchkey-auth", "latchkey", Duration.ofMinutes(15),
    Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10));
  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  @BeforeAll
  static void keys() {
    JwtKeys.generateDevelopmentKeys(dir.resolve("current"));
    keys = JwtKeys.load(dir.resolve("current").resolve(JwtKeys.PRIVATE_FILE), null, List.of());
    tokens = new AccessTokens(keys, SETTINGS, Clock.systemUTC());
  }

  static String issue() {
    return tokens.issue(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "alice", List.of("user"), 3, Long.MAX_VALUE);
  }

  @Test
  void anIssuedTokenVerifiesWithEveryClaimOfTheContract() {
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
    assertThat(header.getString("alg")).isEqualTo("RS256");
    assertThat(header.getString("kid")).isEqualTo(keys.signingKid());
    JsonObject payload = part(token, 1);
    assertThat(payload.fieldNames()).contains("iss", "aud", "sub", "sid", "jti", "iat", "exp", "roles", "username");
  }

  @Test
  void amrIsCarriedAndATokenWithoutTheClaimReadsAsAPasswordLogin() throws Exception {
    String userId = UUID.randomUUID().toString();
    String mfa = tokens.issue(userId, UUID.randomUUID().toString(), "alice", List.of("user"), 1, AccessClaims.PASSWORD_AND_OTP,
      Long.MAX_VALUE);
    assertThat(part(mfa, 1).getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
    assertThat(tokens.verify(mfa).claims().amr()).containsExactly("pwd", "otp", "mfa");
    assertThat(tokens.verify(mfa).toValidateJson().getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
    assertThat(tokens.verify(mfa).toIntrospectionJson().getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");

    // as issued before this release: the same claims, no amr, signed by the same key
    JsonObject payload = part(issue(), 1);
    payload.remove("amr");
    String legacy = resign(payload);
    assertThat(tokens.verify(legacy).valid()).isTrue();
    assertThat(tokens.verify(legacy).claims().amr()).containsExactly("pwd");

    payload.put("amr", "pwd");
    assertThat(tokens.verify(resign(payload)).reason()).as("amr not an array").isEqualTo(TokenCheck.Reason.MALFORMED);
    payload.put("amr", new io.vertx.core.json.JsonArray().add(1));
    assertThat(tokens.verify(resign(payload)).reason()).as("amr of non-strings").isEqualTo(TokenCheck.Reason.MALFORMED);
  }

  /** The payload signed with the current key, as this service signs. */
  private static String resign(JsonObject payload) throws Exception {
    String header = B64.encodeToString(new JsonObject().put("alg", "RS256").put("typ", "JWT").put("kid", keys.signingKid())
      .encode().getBytes(StandardCharsets.UTF_8));
    String input = header + "." + B64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8));
    java.security.Signature rsa = java.security.Signature.getInstance("SHA256withRSA");
    rsa.initSign(keys.signingKey());
    rsa.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(rsa.sign());
  }

  @Test
  void theTokenNeverOutlivesItsSession() {
    long sessionEnd = Instant.now().getEpochSecond() + 60;
    String token = tokens.issue(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "alice", List.of("user"), 0, sessionEnd);
    assertThat(tokens.verify(token).claims().expiresAt()).isEqualTo(sessionEnd);
  }

  @Test
  void anExpiredTokenIsExpired() {
    AccessTokens later = new AccessTokens(keys, SETTINGS, Clock.fixed(Instant.now().plusSeconds(901), ZoneOffset.UTC));
    assertThat(later.verify(issue()).reason()).isEqualTo(TokenCheck.Reason.EXPIRED);
  }

  @Test
  void algNoneInAnyCaseIsRefused() {
    String token = issue();
    for (String alg : List.of("none", "None", "NONE", "nOnE")) {
      String header = B64.encodeToString(new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", keys.signingKid())
        .encode().getBytes(StandardCharsets.UTF_8));
      String payload = token.split("\\.")[1];
      assertThat(tokens.verify(header + "." + payload + ".").valid()).as(alg + " without signature").isFalse();
      assertThat(tokens.verify(header + "." + payload).valid()).as(alg + " two parts").isFalse();
      assertThat(tokens.verify(header + "." + payload + "." + token.split("\\.")[2]).reason()).as(alg + " with the real signature")
        .isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    }
  }

  @Test
  void hs256SignedWithThePublicKeyIsRefused() throws Exception {
    String token = issue();
    for (byte[] secret : List.of(keys.verificationKey(keys.signingKid()).getEncoded(),
      Files.readAllBytes(dir.resolve("current").resolve(JwtKeys.PUBLIC_FILE)))) {
      String header = B64.encodeToString(new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", keys.signingKid())
        .encode().getBytes(StandardCharsets.UTF_8));
      String input = header + "." + token.split("\\.")[1];
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      String forged = input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
      assertThat(tokens.verify(forged).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    }
  }

  @Test
  void unknownMissingOrPathLikeKidIsUnknownKey() {
    String token = issue();
    String[] parts = token.split("\\.");
    for (Object kid : new Object[] {"other-key", "../../../../etc/passwd", "/dev/null", keys.signingKid() + " ", 42, null}) {
      JsonObject header = new JsonObject().put("alg", "RS256").put("typ", "JWT");
      if (kid != null) {
        header.put("kid", kid);
      }
      String forged = B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + "." + parts[2];
      assertThat(tokens.verify(forged).reason()).as("kid " + kid).isEqualTo(TokenCheck.Reason.UNKNOWN_KEY);
    }
  }

  @Test
  void aTamperedPayloadFailsTheSignature() {
    String token = issue();
    String[] parts = token.split("\\.");
    JsonObject payload = part(token, 1).put("roles", List.of("user", "admin"));
    String forged = parts[0] + "." + B64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertThat(tokens.verify(forged).reason()).isEqualTo(TokenCheck.Reason.INVALID_SIGNATURE);
    // the second-to-last character (all six of its bits are signature bits) replaced by another one
    char second = token.charAt(token.length() - 2);
    String flipped = token.substring(0, token.length() - 2) + (second == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
    assertThat(tokens.verify(flipped).valid()).isFalse();
  }

  @Test
  void garbageAndHugeStringsAreMalformed() {
    String token = issue();
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

  @Test
  void aWrongIssuerOrAudienceIsRefusedEvenWithAGoodSignature() {
    AccessTokens otherIssuer = new AccessTokens(keys, new TokenSettings("someone-else", "latchkey", Duration.ofMinutes(15),
      Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10)), Clock.systemUTC());
    AccessTokens otherAudience = new AccessTokens(keys, new TokenSettings("latchkey-auth", "another-api", Duration.ofMinutes(15),
      Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10)), Clock.systemUTC());
    String userId = UUID.randomUUID().toString();
    assertThat(tokens.verify(otherIssuer.issue(userId, userId, "a", List.of(), 0, Long.MAX_VALUE)).valid()).isFalse();
    assertThat(tokens.verify(otherAudience.issue(userId, userId, "a", List.of(), 0, Long.MAX_VALUE)).valid()).isFalse();
  }

  @Test
  void rotationKeepsTheOldKeyVerifyingAndTheJwksListsBoth() {
    JwtKeys.generateDevelopmentKeys(dir.resolve("next"));
    JwtKeys rotated = JwtKeys.load(dir.resolve("next").resolve(JwtKeys.PRIVATE_FILE), null,
      List.of(dir.resolve("current").resolve(JwtKeys.PUBLIC_FILE).toString()));
    AccessTokens afterRotation = new AccessTokens(rotated, SETTINGS, Clock.systemUTC());
    String oldToken = issue();
    String newToken = afterRotation.issue(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "bob", List.of("user"), 0,
      Long.MAX_VALUE);

    assertThat(afterRotation.verify(oldToken).valid()).as("a token of the previous key").isTrue();
    assertThat(afterRotation.verify(newToken).valid()).isTrue();
    assertThat(tokens.verify(newToken).reason()).as("a node without the new key").isEqualTo(TokenCheck.Reason.UNKNOWN_KEY);
    assertThat(rotated.signingKid()).isNotEqualTo(keys.signingKid());
    assertThat(rotated.jwks().getJsonArray("keys").stream().map(k -> ((JsonObject) k).getString("kid")))
      .containsExactlyInAnyOrder(rotated.signingKid(), keys.signingKid());
    JsonObject jwk = rotated.jwks().getJsonArray("keys").getJsonObject(0);
    assertThat(jwk.getString("kty")).isEqualTo("RSA");
    assertThat(jwk.getString("alg")).isEqualTo("RS256");
    assertThat(jwk.getString("e")).isEqualTo("AQAB");
    assertThat(Base64.getUrlDecoder().decode(jwk.getString("n"))).hasSize(256);
  }

  @Test
  void developmentKeysAreKeptWhenGeneratedAgainAndTheKidIsTheThumbprint() throws Exception {
    Path d = dir.resolve("again");
    JwtKeys.generateDevelopmentKeys(d);
    byte[] first = Files.readAllBytes(d.resolve(JwtKeys.PRIVATE_FILE));
    JwtKeys.generateDevelopmentKeys(d);
    assertThat(Files.readAllBytes(d.resolve(JwtKeys.PRIVATE_FILE))).isEqualTo(first);
    JwtKeys loaded = JwtKeys.load(d.resolve(JwtKeys.PRIVATE_FILE), null, List.of());
    assertThat(loaded.signingKid()).isEqualTo(JwtKeys.thumbprint(loaded.verificationKey(loaded.signingKid())));
    assertThat(JwtKeys.load(d.resolve(JwtKeys.PRIVATE_FILE), "2026-11", List.of()).signingKid()).isEqualTo("2026-11");
  }

  @Test
  void aKeyFileThatIsNotAnRsaPkcs8KeyIsRefusedWithItsName() throws Exception {
    Path bad = dir.resolve("bad.pem");
    Files.writeString(bad, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> JwtKeys.load(bad, null, List.of())).hasMessageContaining("PKCS#1").hasMessageContaining("bad.pem");
    assertThatThrownBy(() -> JwtKeys.load(dir.resolve("missing.pem"), null, List.of())).hasMessageContaining("missing.pem");
  }

  static JsonObject part(String token, int index) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[index]), StandardCharsets.UTF_8));
  }
}
