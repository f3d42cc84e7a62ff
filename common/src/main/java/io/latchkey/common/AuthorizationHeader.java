package io.latchkey.common;

import io.vertx.core.http.HttpServerRequest;

import java.util.List;

/**
 * Reading {@code Authorization: Bearer <token>} the same way in both services. A request must
 * send the header at most once (RFC 9110 allows one credential): with two lines, one proxy or
 * framework may check the first and another use the last, so a forged token could ride along
 * with a good one. {@link #of} reports a repeated header, and both services refuse it (401).
 */
public final class AuthorizationHeader {

  public static final String NAME = "Authorization";

  /** What a request presented: the header's one value (null: none), or more than one line. */
  public record Presented(String value, boolean repeated) {
    public boolean sent() {
      return repeated || value != null;
    }
  }

  public static Presented of(HttpServerRequest request) {
    List<String> values = request.headers().getAll(NAME);
    if (values.size() > 1) {
      return new Presented(null, true);
    }
    return new Presented(values.isEmpty() ? null : values.get(0), false);
  }

  private static final String BEARER = "Bearer ";

  private AuthorizationHeader() {
  }

  /** The token of a {@code Bearer} header (scheme without regard to case, surrounding blanks trimmed), or null. */
  public static String bearerToken(String header) {
    if (header == null || header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String token = header.substring(BEARER.length()).trim();
    return token.isEmpty() ? null : token;
  }
}
