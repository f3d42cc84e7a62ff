package io.latchkey.auth.token;

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

  public TokenValidator(AccessTokens tokens, VerifiedTokenMemory memory, Revocations revocations, Clock clock) {
    this.tokens = tokens;
    this.memory = memory;
    this.revocations = revocations;
    this.clock = clock;
  }

  public TokenCheck validate(String token) {
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
