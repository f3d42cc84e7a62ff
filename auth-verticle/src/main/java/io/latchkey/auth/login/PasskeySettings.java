package io.latchkey.auth.login;

import io.latchkey.common.Settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * WebAuthn's relying party as the auth service announces it in passkey request options (conf
 * key / environment variable, default); the user service reads the same variables and verifies
 * assertions against them, so both must agree.
 *
 * @param rpId    webauthnRpId / WEBAUTHN_RP_ID (127.0.0.1): the RP ID, a host name (or the loopback address)
 * @param origins webauthnOrigins / WEBAUTHN_ORIGINS (http://127.0.0.1:8082): comma-separated origins the
 *                pages asking for passkeys are served from; each origin's host must be the RP ID or end
 *                with "." + RP ID (WebAuthn's rule, else no browser would ever use the passkey: refused at start)
 */
public record PasskeySettings(String rpId, List<String> origins) {

  public PasskeySettings {
    origins = List.copyOf(origins);
    if (rpId.isBlank() || rpId.contains("/") || rpId.contains(":") || !rpId.equals(rpId.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_RP_ID=" + rpId + " (expected a lower-case host name, no scheme or port)");
    }
    if (origins.isEmpty()) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS (at least one origin)");
    }
    for (String origin : origins) {
      String host = hostOf(origin);
      if (!host.equals(rpId) && !host.endsWith("." + rpId)) {
        throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS: the host of " + origin + " is not WEBAUTHN_RP_ID="
          + rpId + " nor a subdomain of it");
      }
    }
  }

  public static PasskeySettings from(Settings s) {
    String origins = s.string("webauthnOrigins", "WEBAUTHN_ORIGINS", "http://127.0.0.1:8082");
    return new PasskeySettings(s.string("webauthnRpId", "WEBAUTHN_RP_ID", "127.0.0.1").trim(),
      Arrays.stream(origins.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList());
  }

  /** An origin is {@code scheme://host[:port]}, nothing after it. */
  private static String hostOf(String origin) {
    try {
      URI uri = new URI(origin);
      if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
        || (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) || uri.getRawQuery() != null || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS: " + origin + " is not an origin (scheme://host[:port])");
      }
      return uri.getHost().toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS: " + origin + " is not an origin (scheme://host[:port])");
    }
  }
}
