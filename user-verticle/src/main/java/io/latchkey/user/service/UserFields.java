package io.latchkey.user.service;

import io.latchkey.common.ApiException.FieldError;
import io.latchkey.common.TextRules;

import io.latchkey.common.ApiException;
import io.latchkey.user.model.Roles;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Field rules for usernames, emails and display names. */
public final class UserFields {

  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]{3,32}");
  // one '@', no spaces, a dot in the domain, no empty labels at the domain's ends
  private static final Pattern EMAIL = Pattern.compile("[^\\s@]+@[^\\s@.]+(\\.[^\\s@.]+)+");
  public static final int MAX_EMAIL_LENGTH = 254;
  public static final int MAX_DISPLAY_NAME = 100;

  private UserFields() {
  }

  public static void checkUsername(String username, List<FieldError> errors) {
    if (username == null) {
      errors.add(new FieldError("username", "The username is required."));
    } else if (!USERNAME.matcher(username).matches()) {
      errors.add(new FieldError("username", "The username must be 3 to 32 of A-Z a-z 0-9 . _ -"));
    }
  }

  public static void checkEmail(String email, List<FieldError> errors) {
    if (email == null) {
      errors.add(new FieldError("email", "The email is required."));
    } else if (!TextRules.isClean(email)) {
      errors.add(new FieldError("email", TextRules.BROKEN_TEXT));
    } else if (!TextRules.isVisible(email)) {
      // zero-width, bidi and other invisible characters would let two addresses look alike
      errors.add(new FieldError("email", TextRules.INVISIBLE_TEXT));
    } else if (email.length() > MAX_EMAIL_LENGTH || !EMAIL.matcher(email).matches()) {
      errors.add(new FieldError("email", "The email must be a valid address."));
    }
  }

  /**
   * Emails are stored lower-cased as given (what the user sees); they are compared and looked up
   * by their key ({@link io.latchkey.common.LoginKeys}), which folds case further.
   */
  public static String normalizeEmail(String email) {
    return email.trim().toLowerCase(Locale.ROOT);
  }

  /** Null is allowed (no display name); otherwise 1 to 100 characters, not only blanks. */
  public static void checkDisplayName(String displayName, List<FieldError> errors) {
    if (displayName == null) {
      return;
    }
    int chars = displayName.codePointCount(0, displayName.length());
    if (chars < 1 || chars > MAX_DISPLAY_NAME || displayName.isBlank()) {
      errors.add(new FieldError("displayName", "The display name must have 1 to 100 characters."));
    } else if (hasControl(displayName)) {
      errors.add(new FieldError("displayName", "The display name must not contain control characters."));
    }
  }

  /**
   * Roles as given (a set, or to an import) in their canonical order; 400 validation_failed unless
   * they are a non-empty subset of {@link Roles#ALL}.
   */
  public static List<String> roles(Collection<String> requested) {
    Set<String> wanted = new LinkedHashSet<>(requested);
    if (wanted.isEmpty() || !Roles.ALL.containsAll(wanted)) {
      throw ApiException.validation("roles", "The roles must be a non-empty subset of " + Roles.ALL + ".");
    }
    return Roles.ALL.stream().filter(wanted::contains).toList();
  }

  private static boolean hasControl(String value) {
    return value.codePoints().anyMatch(Character::isISOControl);
  }
}
