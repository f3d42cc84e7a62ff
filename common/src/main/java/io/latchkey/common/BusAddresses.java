package io.latchkey.common;

/**
 * Every event-bus address the services use. Requests carry the headers of {@link BusHeaders};
 * payloads are the records of the {@code io.latchkey.common.bus} package.
 */
public final class BusAddresses {

  /** user service: {@code {"login"} or {"userId"}} to {@link io.latchkey.common.bus.Credentials}; 404 user_not_found. */
  public static final String USER_CREDENTIALS = "latchkey.user.credentials";

  /** user service: {@code {"userId"}} to the public user JSON (as GET /users/{id} answers); 404 user_not_found. */
  public static final String USER_GET = "latchkey.user.get";

  /**
   * user service: a {@link io.latchkey.common.bus.MfaCheck} from the auth service at the second
   * login step, to its {@link io.latchkey.common.bus.MfaCheck.Answer}. It changes state (a TOTP
   * step or a recovery code is used up), so a replayed request is refused.
   */
  public static final String USER_MFA_CHECK = "latchkey.user.mfa-check";

  /**
   * user service: a {@link io.latchkey.common.bus.PasskeyCheck} from the auth service at a
   * passkey login, to its {@link io.latchkey.common.bus.PasskeyCheck.Answer}. It changes state
   * (the signature counter and the last use), so a replayed request is refused.
   */
  public static final String USER_PASSKEY_CHECK = "latchkey.user.passkey-check";

  /**
   * user service: a {@link io.latchkey.common.bus.PasswordRehash} from the auth service after a
   * successful login against a hash that is not bcrypt at the configured cost, to its
   * {@link io.latchkey.common.bus.PasswordRehash.Answer}: the bcrypt hash replaces the old one by
   * compare-and-set. It changes state, so a replayed request is refused.
   */
  public static final String USER_PASSWORD_REHASH = "latchkey.user.password-rehash";

  /** auth service: a {@link io.latchkey.common.bus.UserNotice}; the reply {@code {"applied": true}} is the acknowledgement. */
  public static final String AUTH_SYNC = "latchkey.auth.sync";

  /**
   * auth service: a {@link io.latchkey.common.bus.PasswordCheck} from the user service, which
   * checks a user's current password outside a login ({@code POST /users/{id}/change-password})
   * and counts it in the account's login lockout, owned by the auth service. {@code reserve}
   * before the check: {@code {"ok": true}}, or 429 too_many_attempts (with Retry-After) while the
   * account is locked; then {@code failed}, {@code succeeded} or {@code released} after it.
   */
  public static final String AUTH_PASSWORD_CHECK = "latchkey.auth.password-check";

  /** auth service: {@code {"token"}} to the answer of POST /auth/validate-token. */
  public static final String AUTH_VALIDATE = "latchkey.auth.validate";

  /**
   * Broadcast (publish, fire-and-forget) of every user notice once the auth service has
   * acknowledged it, for any other internal service in the cluster. Payload: a UserNotice.
   */
  public static final String USER_EVENTS = "latchkey.user.events";

  /** Per-node address used by readiness to prove an event-bus round trip. */
  public static String nodePing(String nodeId) {
    return "latchkey.node.ping." + nodeId;
  }

  private BusAddresses() {
  }
}
