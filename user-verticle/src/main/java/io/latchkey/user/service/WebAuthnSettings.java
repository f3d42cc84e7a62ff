package io.latchkey.user.service;

import io.latchkey.common.Settings;
import io.latchkey.common.TextRules;
import io.latchkey.common.WebAuthnParty;

import java.util.List;

/**
 * The passkeys' relying party: its RP ID and origins read and checked by {@link WebAuthnParty}
 * (WEBAUTHN_RP_ID, default {@code localhost}; WEBAUTHN_ORIGINS, default {@code http://localhost:8082}),
 * as the auth service reads them: both must agree.
 *
 * @param rpId    the domain passkeys are bound to; changing it orphans every passkey
 * @param rpName  WEBAUTHN_RP_NAME / webauthnRpName ({@code Latchkey}): the name an authenticator shows
 * @param origins the origins (scheme, host, port) the browser ceremonies may come from
 */
public record WebAuthnSettings(String rpId, String rpName, List<String> origins) {

  private static final int MAX_NAME = 64;

  public WebAuthnSettings {
    origins = List.copyOf(origins);
  }

  public static WebAuthnSettings from(Settings s) {
    WebAuthnParty party = WebAuthnParty.from(s);
    String rpName = s.string("webauthnRpName", "WEBAUTHN_RP_NAME", "Latchkey").trim();
    if (rpName.isEmpty() || rpName.length() > MAX_NAME || !TextRules.isClean(rpName)) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_RP_NAME=" + rpName + " (1 to " + MAX_NAME
        + " characters, no control characters)");
    }
    return new WebAuthnSettings(party.rpId(), rpName, party.origins());
  }
}
