package io.latchkey.auth.token;

import java.time.Duration;

/**
 * Lifetimes and names of the tokens.
 *
 * @param issuer             {@code iss} of every access token (JWT_ISSUER)
 * @param audience           {@code aud} of every access token (JWT_AUDIENCE)
 * @param accessTokenTtl     lifetime of an access token (ACCESS_TOKEN_TTL_SECONDS, 15 min)
 * @param refreshTokenTtl    sliding lifetime of a refresh token (REFRESH_TOKEN_TTL_SECONDS, 30 days)
 * @param sessionMaxLifetime absolute lifetime of a session (SESSION_MAX_LIFETIME_SECONDS, 90 days)
 * @param refreshGrace       how long the just-rotated refresh token may be presented again (REFRESH_GRACE_SECONDS, 10 s; 0 = off)
 */
public record TokenSettings(String issuer, String audience, Duration accessTokenTtl, Duration refreshTokenTtl,
                            Duration sessionMaxLifetime, Duration refreshGrace) {
}
