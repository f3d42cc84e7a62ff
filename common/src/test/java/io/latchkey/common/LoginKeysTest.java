package io.latchkey.common;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

class LoginKeysTest {

  @Test
  void greekFinalSigmaSmallSigmaAndCapitalSigmaAreOneKey() {
    String finalSigma = LoginKeys.of("ὀδυσσεύς@example.com");
    assertThat(LoginKeys.of("ὀδυσσεύσ@example.com")).isEqualTo(finalSigma);
    assertThat(LoginKeys.of("ὈΔΥΣΣΕΎΣ@EXAMPLE.COM")).isEqualTo(finalSigma);
    // what the old lower-casing did not see: Java's plain lower case keeps ς and σ apart
    assertThat("ὀδυσσεύς".toLowerCase(Locale.ROOT)).isNotEqualTo("ὀδυσσεύσ".toLowerCase(Locale.ROOT));
  }

  @Test
  void turkishDotlessIFoldsToIButDottedCapitalIDoesNot() {
    assertThat(LoginKeys.of("alıce@example.com")).isEqualTo(LoginKeys.of("alice@example.com"));
    assertThat(LoginKeys.of("ALICE@example.com")).isEqualTo("alice@example.com");
    // İ folds to i + combining dot above (Unicode's full case folding), not to a plain i
    assertThat(LoginKeys.of("İnfo@example.com")).isEqualTo("i\u0307nfo@example.com");
    assertThat(LoginKeys.of("İnfo@example.com")).isNotEqualTo(LoginKeys.of("info@example.com"));
    assertThat(LoginKeys.of("i\u0307nfo@example.com")).isEqualTo(LoginKeys.of("İnfo@example.com"));
  }

  @Test
  void germanSharpSIsDoubleS() {
    assertThat(LoginKeys.of("straße@example.de")).isEqualTo("strasse@example.de");
    assertThat(LoginKeys.of("STRASSE@example.de")).isEqualTo(LoginKeys.of("straße@example.de"));
    assertThat(LoginKeys.of("STRAẞE@example.de")).isEqualTo("strasse@example.de");
  }

  @Test
  void compatibilityFormsSpacesAndAsciiCase() {
    assertThat(LoginKeys.of("  ＡＬＩＣＥ ")).isEqualTo("alice");
    assertThat(LoginKeys.of("\u212Aate")).isEqualTo("kate"); // Kelvin sign
    assertThat(LoginKeys.of("ﬀoo")).isEqualTo("ffoo");
    assertThat(LoginKeys.of("Alice.Smith-1_x")).isEqualTo("alice.smith-1_x");
    assertThat(LoginKeys.of(null)).isNull();
  }

  @Test
  void theKeyIsStable() {
    for (String s : new String[] {"ὀδυσσεύς@example.com", "straße@x.de", "İnfo@x.com", "ﬀ@x.com", "ǅemal@x.com"}) {
      assertThat(LoginKeys.of(LoginKeys.of(s))).as(s).isEqualTo(LoginKeys.of(s));
    }
  }
}
