package io.latchkey.auth.session;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.audit.AuditType;
import io.latchkey.auth.token.AccessClaims;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;

import java.util.List;

/**
 * What the login and sync side of the auth service needs from sessions and tokens. Every
 * revocation here is in force on this node when the future completes, on every other auth
 * node and in the user service within milliseconds, and survives a full cluster restart.
 */
public interface Sessions {

  /**
   * Creates a session for a user whose password was just verified and issues its first token
   * pair. Fails with 401 invalid_credentials when a sync deleted the user or announced a newer
   * password after {@code user} was read (the session is then revoked), and with 403
   * account_disabled when {@code user} is disabled (no session) or a sync disabled the user
   * (the session is then revoked); when a sync read a newer state of the user, the pair's access
   * token is refused and its first refresh carries the current roles. {@code amr} (RFC 8176) is
   * how the login was made, kept by the session for every token it issues; {@code loginReason}
   * goes into the {@code login.succeeded} audit event (null: none).
   */
  default Future<TokenPair> open(Credentials user, List<String> amr, String loginReason, String userAgent, String clientIp,
                                 String requestId) {
    return open(user, amr, AuditType.LOGIN_SUCCEEDED, loginReason, userAgent, clientIp, requestId);
  }

  /**
   * {@link #open(Credentials, List, String, String, String, String)} with the type of the success
   * event the session's insert writes: a passkey login records {@code passkey.login} (its one
   * success event) instead of {@code login.succeeded}.
   */
  Future<TokenPair> open(Credentials user, List<String> amr, AuditType successEvent, String loginReason, String userAgent,
                         String clientIp, String requestId);

  /** {@link #open(Credentials, List, String, String, String, String)} for a password login ({@code amr} {@code ["pwd"]}). */
  default Future<TokenPair> open(Credentials user, String userAgent, String clientIp, String requestId) {
    return open(user, AccessClaims.PASSWORD, null, userAgent, clientIp, requestId);
  }

  /**
   * The second factor was removed: revokes every session of the user except {@code keepSessionId}
   * (may be null: none kept), on every node. Idempotent.
   *
   * @return how many sessions this call revoked
   */
  Future<Integer> revokeAllExcept(String userId, String keepSessionId, String reason, String requestId);

  /**
   * Password changed: revokes every session of the user created with a password version older
   * than {@code passwordVersion}, except {@code keepSessionId} (may be null). Idempotent.
   *
   * @return how many sessions this call revoked
   */
  Future<Integer> revokeOlderPasswordVersions(String userId, long passwordVersion, String keepSessionId, String requestId);

  /** User deleted or disabled: revokes every session of the user and refuses every access token issued so far. Idempotent. */
  Future<Integer> revokeAllOfUser(String userId, String reason, String requestId);

  /** Roles changed: the user's existing access tokens stop being accepted; sessions stay and the next refresh carries the new roles. */
  Future<Void> invalidateAccessTokens(String userId, String requestId);

  /** The answer to a login with the right password of a disabled user. */
  static ApiException accountDisabled() {
    return new ApiException(403, ErrorCodes.ACCOUNT_DISABLED, "This account is disabled.");
  }
}
