package io.latchkey.common;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The one normalized form logins are compared in, by both services: the user service stores it
 * for emails ({@code users.email_key}, unique) and looks users up by it; the auth service keys its
 * password cache and its unknown-login throttle by it. Computed only here, in Java, so that
 * PostgreSQL never has to agree with Java on case (they disagree on the Greek final sigma, the
 * dotless i, the sharp s...): the database compares stored keys byte for byte.
 *
 * <p>The key is a case fold: trim, NFKC, upper case then lower case in the root locale (twice),
 * NFKC again. Upper-then-lower folds what a plain lower case does not: final sigma ς and σ (both
 * Σ → σ), sharp s ß and "ss" (ß → SS → ss), dotless ı and i (ı → I → i), long s ſ and s. The
 * dotted capital İ becomes "i̇" (i and a combining dot, as Unicode's full case folding has it),
 * which is not "i". Usernames are ASCII, so their key is their ASCII lower case, the same as
 * PostgreSQL's {@code lower(username)}.
 */
public final class LoginKeys {

  private LoginKeys() {
  }

  /** The comparison key of a username, an email or a login (either); null stays null. */
  public static String of(String login) {
    if (login == null) {
      return null;
    }
    String text = Normalizer.normalize(login.trim(), Normalizer.Form.NFKC);
    // twice: the first round can produce a letter the second folds further (capital sharp s ẞ -> ß -> SS -> ss)
    for (int round = 0; round < 2; round++) {
      text = text.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
    }
    return Normalizer.normalize(text, Normalizer.Form.NFKC);
  }
}
