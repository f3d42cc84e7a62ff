package io.latchkey.user.service;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.TextRules;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The second factor's settings.
 *
 * @param keys             MFA_SECRET_KEY (environment only): comma-separated base64 of 32 random bytes each; the
 *                         first seals new TOTP secrets and hashes new recovery codes, every one opens and checks
 *                         (rotation). Required in production; else a development key derived like the other
 *                         development secrets ({@link ApiKeys#developmentSecret})
 * @param keyIsDevelopment true when no MFA_SECRET_KEY was given
 * @param issuer           MFA_ISSUER / mfaIssuer ({@code Latchkey}): the issuer an authenticator app shows
 */
public record MfaSettings(List<byte[]> keys, boolean keyIsDevelopment, String issuer) {

  public static final String KEY_VARIABLE = "MFA_SECRET_KEY";
  private static final int MAX_ISSUER = 64;

  public MfaSettings {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one MFA key is required");
    }
    keys = keys.stream().map(byte[]::clone).toList();
  }

  public static MfaSettings from(Settings s, Profile profile) {
    String issuer = s.string("mfaIssuer", "MFA_ISSUER", "Latchkey").trim();
    if (issuer.isEmpty() || issuer.length() > MAX_ISSUER || issuer.contains(":") || !TextRules.isClean(issuer)) {
      throw new IllegalArgumentException("invalid setting MFA_ISSUER=" + issuer + " (1 to " + MAX_ISSUER
        + " characters, no ':' and no control characters)");
    }
    // a secret: from the environment only, never from conf/user.json
    String raw = s.env().get(KEY_VARIABLE);
    List<String> parts = ApiKeys.split(raw);
    if (parts.isEmpty()) {
      if (profile.production()) {
        throw new IllegalStateException("the production profile needs " + KEY_VARIABLE
          + " (base64 of 32 random bytes; several comma-separated while rotating)");
      }
      return new MfaSettings(List.of(ApiKeys.developmentSecret(s.env(), "latchkey mfa development key")), true, issuer);
    }
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      byte[] key;
      try {
        key = Base64.getDecoder().decode(parts.get(i));
      } catch (IllegalArgumentException e) {
        key = null;
      }
      if (key == null || key.length != 32) {
        // never echo the value: it is a secret
        throw new IllegalArgumentException("invalid setting " + KEY_VARIABLE + ": key " + (i + 1) + " of " + parts.size()
          + " is not base64 of 32 bytes");
      }
      keys.add(key);
    }
    return new MfaSettings(keys, false, issuer);
  }

  @Override
  public List<byte[]> keys() {
    return keys.stream().map(byte[]::clone).toList();
  }

  @Override
  public String toString() {
    // never print a key
    return "MfaSettings[keys=" + keys.size() + ", keyIsDevelopment=" + keyIsDevelopment + ", issuer=" + issuer + "]";
  }
}
