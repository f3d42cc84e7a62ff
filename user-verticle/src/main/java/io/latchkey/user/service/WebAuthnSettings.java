package io.latchkey.user.service;

import io.latchkey.common.Origins;
import io.latchkey.common.Settings;
import io.latchkey.common.TextRules;

import java.util.List;
import java.util.Locale;

/**
 * The passkeys' relying party. The auth service reads the same three variables: both must agree.
 *
 * @param rpId    WEBAUTHN_RP_ID / webauthnRpId ({@code 127.0.0.1}): the domain passkeys are bound to (the
 *                host of the page, or a registrable suffix of it); changing it orphans every passkey
 * @param rpName  WEBAUTHN_RP_NAME / webauthnRpName ({@code Latchkey}): the name an authenticator shows
 * @param origins WEBAUTHN_ORIGINS / webauthnOrigins ({@code http://127.0.0.1:8082}): comma-separated origins
 *                (scheme, host, port) the browser ceremonies may come from
 */
public record WebAuthnSettings(String rpId, String rpName, List<String> origins) {

  private static final int MAX_NAME = 64;

  public WebAuthnSettings {
    origins = List.copyOf(origins);
  }

  public static WebAuthnSettings from(Settings s) {
    String rpId = s.string("webauthnRpId", "WEBAUTHN_RP_ID", "127.0.0.1").trim().toLowerCase(Locale.ROOT);
    if (rpId.isEmpty() || rpId.length() > 253 || !rpId.matches("[a-z0-9.:\\[\\]-]+") || rpId.startsWith(".") || rpId.endsWith(".")) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_RP_ID=" + rpId + " (a domain such as example.com, no scheme or port)");
    }
    String rpName = s.string("webauthnRpName", "WEBAUTHN_RP_NAME", "Latchkey").trim();
    if (rpName.isEmpty() || rpName.length() > MAX_NAME || !TextRules.isClean(rpName)) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_RP_NAME=" + rpName + " (1 to " + MAX_NAME
        + " characters, no control characters)");
    }
    String raw = s.string("webauthnOrigins", "WEBAUTHN_ORIGINS", "http://127.0.0.1:8082");
    List<String> origins = Origins.parse(raw, "WEBAUTHN_ORIGINS");
    if (origins.isEmpty()) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS: at least one origin is required");
    }
    return new WebAuthnSettings(rpId, rpName, origins);
  }
}
