package io.latchkey.common;

import io.netty.util.NetUtil;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * WebAuthn's relying party, as both services read it: the user service registers passkeys and
 * verifies assertions against it, the auth service announces it in request options; so both
 * must agree, and both check it the same way at start.
 *
 * @param rpId    webauthnRpId / WEBAUTHN_RP_ID ({@code localhost}): the domain passkeys are bound to (the host of
 *                the page, or a registrable suffix of it); changing it orphans every passkey. A domain name:
 *                browsers refuse WebAuthn on an IP address (Chromium: "This is an invalid domain"), so an IP
 *                address is refused here, at start, instead of by every browser later
 * @param origins webauthnOrigins / WEBAUTHN_ORIGINS ({@code http://localhost:8082}): comma-separated origins
 *                ({@code scheme://host[:port]}) the pages asking for passkeys are served from; each host must be the
 *                RP ID or a subdomain of it (WebAuthn's rule: else no browser would ever use the passkey). The first
 *                is the account page's home: the page opened at an IP address moves there
 */
public record WebAuthnParty(String rpId, List<String> origins) {

  public static final String DEFAULT_RP_ID = "localhost";
  public static final String DEFAULT_ORIGINS = "http://localhost:8082";

  public WebAuthnParty {
    origins = List.copyOf(origins);
    if (rpId.isEmpty() || rpId.length() > 253 || !rpId.matches("[a-z0-9.-]+") || rpId.startsWith(".") || rpId.endsWith(".")) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_RP_ID=" + rpId
        + " (expected a lower-case domain such as example.com or localhost, no scheme or port)");
    }
    if (isIpAddress(rpId)) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_RP_ID=" + rpId
        + " (browsers refuse passkeys on an IP address: use a domain name, such as localhost for a local run)");
    }
    if (origins.isEmpty()) {
      throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS: at least one origin is required");
    }
    Origins.parse(String.join(",", origins), "WEBAUTHN_ORIGINS");
    for (String origin : origins) {
      String host = hostOf(origin);
      if (!host.equals(rpId) && !host.endsWith("." + rpId)) {
        throw new IllegalArgumentException("invalid setting WEBAUTHN_ORIGINS: the host of " + origin + " is not WEBAUTHN_RP_ID="
          + rpId + " nor a subdomain of it");
      }
    }
  }

  public static WebAuthnParty from(Settings s) {
    String origins = s.string("webauthnOrigins", "WEBAUTHN_ORIGINS", DEFAULT_ORIGINS);
    return new WebAuthnParty(s.string("webauthnRpId", "WEBAUTHN_RP_ID", DEFAULT_RP_ID).trim().toLowerCase(Locale.ROOT),
      Origins.parse(origins, "WEBAUTHN_ORIGINS"));
  }

  /** An IPv4 or IPv6 literal (with or without brackets). */
  public static boolean isIpAddress(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return NetUtil.isValidIpV4Address(h) || NetUtil.isValidIpV6Address(h);
  }

  /** The host of an origin {@link Origins#parse} accepted. */
  private static String hostOf(String origin) {
    return URI.create(origin).getHost().toLowerCase(Locale.ROOT);
  }
}
