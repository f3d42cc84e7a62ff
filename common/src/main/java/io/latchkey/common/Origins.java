package io.latchkey.common;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;

/**
 * Settings that list web origins (WEBAUTHN_ORIGINS, CORS_ALLOWED_ORIGINS): comma-separated
 * {@code scheme://host[:port]}, each written as a browser sends it in an {@code Origin} header.
 */
public final class Origins {

  private Origins() {
  }

  /**
   * The origins of a comma-separated setting, blanks dropped; an entry that is not an origin (http
   * or https, a host, an optional port; no path, not even a trailing slash, no query, fragment or
   * user info, no {@code *}) fails with a message naming {@code setting}.
   */
  public static List<String> parse(String raw, String setting) {
    List<String> origins = Arrays.stream(raw.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList();
    origins.forEach(origin -> check(origin, setting));
    return origins;
  }

  private static void check(String origin, String setting) {
    URI uri;
    try {
      uri = new URI(origin);
    } catch (URISyntaxException e) {
      uri = null;
    }
    boolean ok = uri != null && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null
      && uri.getRawPath() != null && uri.getRawPath().isEmpty() && uri.getRawQuery() == null && uri.getRawFragment() == null
      && uri.getRawUserInfo() == null;
    if (!ok) {
      throw new IllegalArgumentException("invalid setting " + setting + ": '" + origin
        + "' is not an origin (scheme://host[:port], such as https://id.example.com)");
    }
  }
}
