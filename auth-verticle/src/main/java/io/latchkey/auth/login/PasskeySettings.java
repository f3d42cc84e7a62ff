package io.latchkey.auth.login;

import io.latchkey.common.Settings;
import io.latchkey.common.WebAuthnParty;

import java.util.List;

/**
 * WebAuthn's relying party as the auth service announces it in passkey request options and the
 * account page uses it; read and checked by {@link WebAuthnParty} (WEBAUTHN_RP_ID, default
 * {@code localhost}; WEBAUTHN_ORIGINS, default {@code http://localhost:8082}), as the user
 * service reads it: both must agree.
 *
 * @param rpId    the RP ID, a domain name
 * @param origins the origins the pages asking for passkeys are served from; the first is the account page's home
 */
public record PasskeySettings(String rpId, List<String> origins) {

  public PasskeySettings {
    origins = List.copyOf(origins);
  }

  public static PasskeySettings from(Settings s) {
    WebAuthnParty party = WebAuthnParty.from(s);
    return new PasskeySettings(party.rpId(), party.origins());
  }
}
