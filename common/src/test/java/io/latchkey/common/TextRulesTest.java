package io.latchkey.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextRulesTest {

  @Test
  void controlCharactersAndLoneSurrogatesAreBroken() {
    for (String broken : new String[] {"a\u0000b", "tab\there", "line\nfeed", "\u001f", "del\u007f", "c1\u0080", "nel\u0085",
      "c1\u009f", "high\ud800alone", "ends high\ud800", "\udc00low first", "reversed\udc00\ud800"}) {
      assertThat(TextRules.isClean(broken)).as(escape(broken)).isFalse();
    }
  }

  @Test
  void ordinaryTextIncludingPairedSurrogatesIsClean() {
    for (String clean : new String[] {"", "alice", "ὀδυσσεύς@example.com", "pass word 42", "emoji \ud83d\udd11 key", "\u00a0nbsp",
      "\u00a1after C1", "ß"}) {
      assertThat(TextRules.isClean(clean)).as(escape(clean)).isTrue();
    }
    assertThat(TextRules.isClean(null)).isTrue();
  }

  @Test
  void checkNamesTheFieldInAValidationFailure() {
    assertThat(TextRules.check("login", "alice")).isEqualTo("alice");
    assertThatThrownBy(() -> TextRules.check("login", "a\u0000"))
      .isInstanceOfSatisfying(ApiException.class, e -> {
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo(ErrorCodes.VALIDATION_FAILED);
        assertThat(e.errors()).extracting(ApiException.FieldError::field).containsExactly("login");
      });
  }

  @Test
  void invisibleAndDirectionChangingCharactersAreNotVisible() {
    int[] invisible = {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF, 0x00AD, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
      0x2066, 0x2067, 0x2068, 0x2069, 0x2060, 0x00A0, 0x3000, 0x034F, 0xFE0F, 0x3164, 0xE0041, 0x061C};
    for (int cp : invisible) {
      String text = "a" + new String(Character.toChars(cp)) + "b@example.com";
      assertThat(TextRules.isVisible(text)).as("U+%04X", cp).isFalse();
    }
    assertThat(TextRules.isVisible("ὀδυσσεύς@παράδειγμα.ελ")).isTrue();
    assertThat(TextRules.isVisible("o'brien+tag@example.com")).isTrue();
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return b.toString();
  }
}
