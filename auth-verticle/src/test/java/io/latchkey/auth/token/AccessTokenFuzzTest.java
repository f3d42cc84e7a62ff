package io.latchkey.auth.token;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.latchkey.common.ApiKeys;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.latchkey.common.testing.FuzzDurations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the access-token parser and verifier ({@link AccessTokens#verify} and
 * {@link TokenValidator#validate}, which must agree): any string gives a {@link TokenCheck},
 * never an exception, with a reason whenever it is not valid; and a token that verifies is one
 * our key signed. {@code anyString} reads each input as the token itself; {@code mutatedToken}
 * takes a token really issued with the test key and edits it as the input says (the empty input
 * leaves it whole, so the run also proves that a genuine token does verify); {@code
 * mutatedEdDsaToken} does the same with an EdDSA token. The verifier holds both kinds of key, as
 * a node in the middle of a rotation across algorithms does (RS256 signing, the Ed25519 key as a
 * previous one), so every input meets both.
 */
class AccessTokenFuzzTest {

  private static final TokenSettings SETTINGS = new TokenSettings("latchkey-auth", "latchkey", Duration.ofMinutes(15),
    Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10));
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String USER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
  private static final String SESSION_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

  private static Path keyDir;
  private static AccessTokens tokens;
  private static TokenValidator validator;
  private static String genuine;
  private static AccessClaims genuineClaims;
  private static String genuineEdDsa;
  private static AccessClaims genuineEdDsaClaims;

  @BeforeAll
  static void keys() throws IOException {
    keyDir = Files.createTempDirectory("latchkey-fuzz-keys");
    JwtKeys.generateDevelopmentKeys(JwsAlgorithm.RS256, keyDir);
    JwtKeys.generateDevelopmentKeys(JwsAlgorithm.EDDSA, keyDir);
    JwtKeys keys = JwtKeys.load(JwsAlgorithm.RS256, keyDir.resolve(JwtKeys.PRIVATE_FILE), null,
      List.of(keyDir.resolve(JwsAlgorithm.EDDSA.publicFile()).toString()));
    JwtKeys eddsaKeys = JwtKeys.load(JwsAlgorithm.EDDSA, keyDir.resolve(JwsAlgorithm.EDDSA.privateFile()), null, List.of());
    Clock clock = Clock.systemUTC();
    tokens = new AccessTokens(keys, SETTINGS, clock);
    validator = new TokenValidator(tokens, new VerifiedTokenMemory(1000),
      new Revocations(null, new ApiKeys(List.of("fuzz-key"), List.of(), null), SETTINGS.accessTokenTtl(), Duration.ofSeconds(1),
        new SimpleMeterRegistry()), clock, new SimpleMeterRegistry());
    genuine = tokens.issue(USER_ID, SESSION_ID, "alice", List.of("user"), 1, Long.MAX_VALUE);
    genuineClaims = tokens.verify(genuine).claims();
    assertThat(genuineClaims).as("a freshly issued token verifies").isNotNull();
    genuineEdDsa = new AccessTokens(eddsaKeys, SETTINGS, clock).issue(USER_ID, SESSION_ID, "alice", List.of("user"), 1, Long.MAX_VALUE);
    genuineEdDsaClaims = tokens.verify(genuineEdDsa).claims();
    assertThat(genuineEdDsaClaims).as("a freshly issued EdDSA token verifies with the previous key").isNotNull();
  }

  @AfterAll
  static void removeKeys() throws IOException {
    try (Stream<Path> files = Files.walk(keyDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @FuzzTest(maxDuration = FuzzDurations.ROUND)
  void anyString(byte[] input) {
    // ISO-8859-1 maps every byte to one char: the fuzzer reaches every character below 256
    String token = new String(input, StandardCharsets.ISO_8859_1);
    TokenCheck check = checkBothWays(token);
    assertThat(check.valid()).as("a token nobody signed verifies").isFalse();
  }

  @FuzzTest(maxDuration = FuzzDurations.ROUND)
  void mutatedToken(FuzzedDataProvider data) {
    checkMutated(genuine, genuineClaims, data);
  }

  @FuzzTest(maxDuration = FuzzDurations.ROUND)
  void mutatedEdDsaToken(FuzzedDataProvider data) {
    checkMutated(genuineEdDsa, genuineEdDsaClaims, data);
  }

  private static void checkMutated(String original, AccessClaims originalClaims, FuzzedDataProvider data) {
    String token = mutate(original, data);
    TokenCheck check = checkBothWays(token);
    if (check.valid()) {
      // the only token this key signed is the genuine one: a valid check must be that very string
      assertThat(token).as("a token that differs from the one signed verifies").isEqualTo(original);
      assertThat(check.claims()).isEqualTo(originalClaims);
    }
    if (token.equals(original)) {
      assertThat(check.valid()).as("the genuine token verifies").isTrue();
    }
  }

  /** Verifies the token with {@link AccessTokens} and with {@link TokenValidator}: the same answer, never an exception. */
  private static TokenCheck checkBothWays(String token) {
    TokenCheck direct = tokens.verify(token);
    assertThat(direct).isNotNull();
    if (direct.valid()) {
      assertThat(direct.reason()).isNull();
    } else {
      assertThat(direct.reason()).as("an invalid token's reason").isNotNull();
      assertThat(direct.toValidateJson().getString("reason")).isEqualTo(direct.reason().wire());
    }
    TokenCheck validated = validator.validate(token);
    assertThat(validated.valid()).isEqualTo(direct.valid());
    assertThat(validated.reason()).isEqualTo(direct.reason());
    // the second time comes from the verified-token memory when valid: still the same answer
    assertThat(validator.validate(token).valid()).isEqualTo(direct.valid());
    return direct;
  }

  /**
   * Applies the edits the input describes: replace, insert or delete a character, or replace a
   * whole part with the base64url of bytes (a forged header or payload, an empty signature).
   */
  private static String mutate(String token, FuzzedDataProvider data) {
    StringBuilder text = new StringBuilder(token);
    int edits = data.consumeInt(0, 4);
    for (int i = 0; i < edits && data.remainingBytes() > 0; i++) {
      int op = data.consumeInt(0, 4);
      int at = data.consumeInt(0, Math.max(0, text.length() - 1));
      switch (op) {
        case 0 -> {
          if (text.length() > 0) {
            text.setCharAt(at, (char) data.consumeInt(0x20, 0x7e));
          }
        }
        case 1 -> text.insert(at, (char) data.consumeInt(0x20, 0x7e));
        case 2 -> {
          if (text.length() > 0) {
            text.deleteCharAt(at);
          }
        }
        case 3 -> {
          // flips low bits of one character inside the base64url alphabet
          if (text.length() > 0) {
            text.setCharAt(at, flipWithinAlphabet(text.charAt(at), data.consumeInt(1, 63)));
          }
        }
        default -> {
          String[] parts = text.toString().split("\\.", -1);
          int which = data.consumeInt(0, parts.length - 1);
          parts[which] = B64.encodeToString(data.consumeBytes(data.consumeInt(0, 512)));
          text = new StringBuilder(String.join(".", parts));
        }
      }
    }
    return text.toString();
  }

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  private static char flipWithinAlphabet(char c, int mask) {
    int index = ALPHABET.indexOf(c);
    return index < 0 ? c : ALPHABET.charAt(index ^ mask);
  }
}
