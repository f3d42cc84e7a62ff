package io.latchkey.auth.token;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;

/**
 * The hot path of every token check (HTTP bearer, validate-token, introspect, the bus
 * endpoint): a token verified once is remembered until its {@code exp}; expiry and revocation
 * are checked every time, from local memory only.
 */
public final class TokenValidator {

  private final AccessTokens tokens;
  private final VerifiedTokenMemory memory;
  private final Revocations revocations;
  private final Clock clock;
  /** latchkey_token_validations_total{result="valid"}. */
  private final Counter valid;
  /** The same series with result = the reason, by {@link TokenCheck.Reason#ordinal()}: no tags built, no lookup by name per check. */
  private final Counter[] invalid;

  public TokenValidator(AccessTokens tokens, VerifiedTokenMemory memory, Revocations revocations, Clock clock,
                        MeterRegistry metrics) {
    this.tokens = tokens;
    this.memory = memory;
    this.revocations = revocations;
    this.clock = clock;
    this.valid = counter(metrics, "valid");
    TokenCheck.Reason[] reasons = TokenCheck.Reason.values();
    this.invalid = new Counter[reasons.length];
    for (TokenCheck.Reason reason : reasons) {
      invalid[reason.ordinal()] = counter(metrics, reason.wire());
    }
  }

  private static Counter counter(MeterRegistry metrics, String result) {
    return Counter.builder("latchkey.token.validations").tag("result", result)
      .description("access tokens checked (bearer calls, validate-token, introspect, the bus endpoint), by result").register(metrics);
  }

  /** Checks the token and counts the result. */
  public TokenCheck validate(String token) {
    TokenCheck check = check(token);
    (check.valid() ? valid : invalid[check.reason().ordinal()]).increment();
    return check;
  }

  private TokenCheck check(String token) {
    if (token == null || token.isEmpty() || token.length() > AccessTokens.MAX_TOKEN_LENGTH) {
      return TokenCheck.invalid(TokenCheck.Reason.MALFORMED);
    }
    AccessClaims claims = memory.get(token);
    if (claims == null) {
      TokenCheck verified = tokens.verify(token);
      if (!verified.valid()) {
        return verified;
      }
      claims = verified.claims();
      memory.remember(token, claims);
    } else if (claims.expiresAt() <= clock.instant().getEpochSecond()) {
      return TokenCheck.invalid(TokenCheck.Reason.EXPIRED);
    }
    if (revocations.isRevoked(claims)) {
      return TokenCheck.invalid(TokenCheck.Reason.REVOKED);
    }
    return TokenCheck.valid(claims);
  }
}
