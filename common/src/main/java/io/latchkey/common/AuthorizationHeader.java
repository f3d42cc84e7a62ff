package io.latchkey.common;

/** Reading {@code Authorization: Bearer <token>} the same way in both services. */
public final class AuthorizationHeader {

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
