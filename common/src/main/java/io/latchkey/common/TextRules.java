package io.latchkey.common;

/**
 * The one rule every text that enters either service from outside obeys, in every string field of
 * every JSON body and every path or query parameter that reaches SQL: no control characters (C0
 * including NUL, DEL, C1) and well-formed Unicode (no lone UTF-16 surrogate). PostgreSQL refuses
 * NUL in text (a 500 before this rule) and a lone surrogate turns into '?' when encoded as UTF-8
 * (so "X?Y" would have matched a password "X\ud800Y"). Broken text is answered 400
 * {@code validation_failed} naming the field.
 *
 * <p>Emails obey a stricter rule on top ({@link #isVisible}): no invisible or direction-changing
 * characters, which would let two addresses look the same and differ.
 */
public final class TextRules {

  /** The message of a refused field. */
  public static final String BROKEN_TEXT = "Must not contain control characters or ill-formed Unicode (lone surrogates).";
  public static final String INVISIBLE_TEXT = "Must not contain invisible, spacing or direction-changing characters.";

  private TextRules() {
  }

  /** True when the text has no control character (C0, DEL, C1) and no lone surrogate. Null is clean. */
  public static boolean isClean(String text) {
    if (text == null) {
      return true;
    }
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= n || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** The text, or 400 validation_failed naming {@code field} when it is not {@link #isClean clean}. */
  public static String check(String field, String text) {
    if (!isClean(text)) {
      throw ApiException.validation(field, BROKEN_TEXT);
    }
    return text;
  }

  /**
   * True when the text (already {@link #isClean clean}) has no character that shows nothing or
   * changes how its neighbours show: format characters (Unicode category Cf: zero-width space,
   * joiners, soft hyphen, BOM, bidi embeddings U+202A-202E and isolates U+2066-2069, tags...),
   * spaces of any kind (no-break space, ideographic space...), variation selectors, the combining
   * grapheme joiner and the Hangul fillers.
   */
  public static boolean isVisible(String text) {
    return text.codePoints().noneMatch(TextRules::invisible);
  }

  static boolean invisible(int cp) {
    int type = Character.getType(cp);
    if (type == Character.FORMAT || type == Character.SPACE_SEPARATOR || type == Character.LINE_SEPARATOR
      || type == Character.PARAGRAPH_SEPARATOR || Character.isWhitespace(cp)) {
      return true;
    }
    return cp == 0x034F // combining grapheme joiner
      || cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0 // Hangul fillers
      || (cp >= 0x17B4 && cp <= 0x17B5) // Khmer inherent vowels
      || (cp >= 0x180B && cp <= 0x180F) // Mongolian variation selectors
      || (cp >= 0xFE00 && cp <= 0xFE0F) // variation selectors
      || (cp >= 0xE0100 && cp <= 0xE01EF) // variation selectors supplement
      || cp == 0x2800; // braille blank
  }
}
