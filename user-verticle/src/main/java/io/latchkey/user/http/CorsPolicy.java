package io.latchkey.user.http;

import io.latchkey.common.Origins;
import io.latchkey.common.Profile;
import io.latchkey.common.RequestIds;
import io.latchkey.common.Settings;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * Which web pages may call the user service from another origin: the account page, served by the
 * auth service, calls it with {@code fetch} and a bearer token (docs/ARCHITECTURE.md, "The account
 * page calls the user service with CORS"). Vert.x Web's {@link CorsHandler} answers the preflights
 * and adds the headers; a request whose {@code Origin} is not listed is failed by it with 403 (our
 * problem handler writes {@code forbidden}); a request without {@code Origin} passes untouched.
 * Credentials (cookies) are never allowed: the page sends none here.
 *
 * @param allowedOrigins CORS_ALLOWED_ORIGINS / corsAllowedOrigins: comma-separated exact origins; default
 *                       {@code http://localhost:8082} (the account page of a local run) in the development
 *                       profile, none in production; none: no CORS handler at all
 */
public record CorsPolicy(List<String> allowedOrigins) {

  public static final String SETTING = "CORS_ALLOWED_ORIGINS";
  public static final String DEVELOPMENT_DEFAULT = "http://localhost:8082";
  // in this order in the headers (a Set.of would pick its own)
  static final Set<HttpMethod> METHODS = ordered(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
  static final Set<String> REQUEST_HEADERS = ordered("Authorization", "Content-Type", RequestIds.HEADER);
  static final Set<String> EXPOSED_HEADERS = ordered("Retry-After", RequestIds.HEADER, "Location");
  /** How long a browser may reuse a preflight's answer. */
  static final int MAX_AGE_SECONDS = 600;

  public CorsPolicy {
    allowedOrigins = List.copyOf(allowedOrigins);
  }

  public static CorsPolicy from(Settings s, Profile profile) {
    // no fixed default (it depends on the profile): an empty corsAllowedOrigins in conf/user.json turns it off
    String raw = s.string("corsAllowedOrigins", SETTING, null);
    if (raw == null) {
      raw = profile.production() ? "" : DEVELOPMENT_DEFAULT;
    }
    List<String> origins = Origins.parse(raw, SETTING);
    for (String origin : origins) {
      URI uri = URI.create(origin);
      // a browser never writes the scheme's own port: an origin with it would match no request
      if (uri.getPort() == 80 && uri.getScheme().equals("http") || uri.getPort() == 443 && uri.getScheme().equals("https")) {
        throw new IllegalArgumentException("invalid setting " + SETTING + ": '" + origin + "' names the default port of "
          + uri.getScheme() + " (write it as a browser sends it, without :" + uri.getPort() + ")");
      }
    }
    return new CorsPolicy(origins);
  }

  @SafeVarargs
  private static <T> Set<T> ordered(T... values) {
    return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(List.of(values)));
  }

  /** Whether cross-origin calls are allowed at all. */
  public boolean enabled() {
    return !allowedOrigins.isEmpty();
  }

  /**
   * A handler for the router, or null when no origin is allowed. (Vert.x's handler without any
   * origin would allow every origin with {@code *}: it is never installed empty.)
   */
  public Handler<RoutingContext> handler() {
    if (!enabled()) {
      return null;
    }
    return CorsHandler.create()
      .addOrigins(allowedOrigins)
      .allowedMethods(METHODS)
      .allowedHeaders(REQUEST_HEADERS)
      .exposedHeaders(EXPOSED_HEADERS)
      .allowCredentials(false)
      .maxAgeSeconds(MAX_AGE_SECONDS);
  }
}
