package io.latchkey.user.service;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordPolicyTest {

  private static CommonPasswords common;
  private static PasswordPolicy policy;

  @BeforeAll
  static void load() {
    common = CommonPasswords.load();
    policy = new PasswordPolicy(common);
  }

  @Test
  void theShippedListHoldsAtLeastTenThousandDistinctPasswordsIgnoringCase() {
    assertThat(common.size()).isGreaterThanOrEqualTo(10_000);
    assertThat(common.contains("123456")).isTrue();
    assertThat(common.contains("correct horse battery staple 42")).isFalse();
  }

  @Test
  void commonPasswordsAreRefusedWithoutRegardToCase() {
    assertThat(policy.problem("password")).isPresent();
    assertThat(policy.problem("PaSsWoRd")).isPresent();
    assertThat(policy.problem("TRUSTNO1")).isPresent();
    assertThat(policy.problem("Baseball")).isPresent();
    assertThat(policy.problem("Baseball and more")).isEmpty();
  }

  @Test
  void lengthIsCountedInCodePointsAfterNfkc() {
    assertThat(policy.problem("abc1234")).as("7 characters").isPresent();
    assertThat(policy.problem("abc12345x")).as("9 characters").isEmpty();
    // 7 emoji are 14 UTF-16 chars but 7 code points: too short
    assertThat(policy.problem("😀".repeat(7))).isPresent();
    assertThat(policy.problem("😀".repeat(8))).as("8 code points, 32 bytes").isEmpty();
    // the ligature U+FB00 becomes "ff" under NFKC: 6 code points as sent, 8 characters once normalized
    assertThat(policy.problem("x\uFB00y\uFB00z1")).isEmpty();
    assertThat(policy.problem("x\uFB00y\uFB00z")).as("7 characters after NFKC").isPresent();
  }

  @Test
  void passwordsOverSeventyTwoUtf8BytesAreRefusedEvenWhenShortInCharacters() {
    String euro24 = "€".repeat(24);
    assertThat(euro24.getBytes(StandardCharsets.UTF_8)).hasSize(72);
    assertThat(policy.problem(euro24)).isEmpty();
    String euro25 = "€".repeat(25);
    assertThat(euro25.getBytes(StandardCharsets.UTF_8)).hasSize(75);
    assertThat(policy.problem(euro25)).hasValueSatisfying(m -> assertThat(m).contains("72 bytes"));
    assertThat(policy.problem("a".repeat(72))).isEmpty();
    assertThat(policy.problem("a".repeat(73))).isPresent();
    assertThat(policy.problem("a".repeat(129))).isPresent();
  }

  @Test
  void nfkcTurnsLookAlikesIntoTheCommonPasswordTheyImitate() {
    // full-width letters and digits normalize to ASCII "password1"
    String fullWidth = "ｐａｓｓｗｏｒｄ１";
    assertThat(PasswordPolicy.normalize(fullWidth)).isEqualTo("password1");
    assertThat(policy.problem(fullWidth)).isPresent();
    assertThat(policy.problem("ＰＡＳＳＷＯＲＤ１")).isPresent();
  }

  @Test
  void normalizationIsWhatGetsHashedSoEquivalentFormsMatch() {
    String composed = "caf\u00e9 au lait!";
    String decomposed = "cafe\u0301 au lait!";
    assertThat(PasswordPolicy.normalize(composed)).isEqualTo(PasswordPolicy.normalize(decomposed));
  }

  @Test
  void likePatternsEscapeTheirWildcards() {
    assertThat(UserService.escapeLike("50%_a\\b")).isEqualTo("50\\%\\_a\\\\b");
  }
}
