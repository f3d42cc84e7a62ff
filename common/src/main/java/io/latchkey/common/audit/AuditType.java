package io.latchkey.common.audit;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The audit event types, by their name on the wire. Adding a type is one line here (then the
 * code that writes it).
 *
 * <p>{@code outcome} is what an event of the type records by default: {@code success} for a
 * change that was made, {@code failure} for an attempt that was refused.
 */
public enum AuditType {
  // auth service
  LOGIN_SUCCEEDED("login.succeeded", Outcome.SUCCESS),
  LOGIN_FAILED("login.failed", Outcome.FAILURE),
  LOGIN_LOCKED("login.locked", Outcome.FAILURE),
  REFRESH_REUSE_DETECTED("refresh.reuse_detected", Outcome.FAILURE),
  LOGOUT("logout", Outcome.SUCCESS),
  LOGOUT_ALL("logout_all", Outcome.SUCCESS),
  SESSION_ENDED("session.ended", Outcome.SUCCESS),
  /** A login with a passkey alone (success) or a refused passkey assertion (outcome failure, the reason says why). */
  PASSKEY_LOGIN("passkey.login", Outcome.SUCCESS),
  /** A wrong second-factor code at the second login step (the reason says which kind). */
  MFA_FAILED("mfa.failed", Outcome.FAILURE),
  // user service
  PASSWORD_CHANGED("password.changed", Outcome.SUCCESS),
  PASSWORD_RESET("password.reset", Outcome.SUCCESS),
  EMAIL_CHANGED("email.changed", Outcome.SUCCESS),
  EMAIL_VERIFIED("email.verified", Outcome.SUCCESS),
  USER_DISABLED("user.disabled", Outcome.SUCCESS),
  USER_ENABLED("user.enabled", Outcome.SUCCESS),
  USER_DELETED("user.deleted", Outcome.SUCCESS),
  ROLES_CHANGED("roles.changed", Outcome.SUCCESS),
  /** TOTP confirmed (reason {@code totp}), or its recovery codes regenerated (reason {@code recovery_codes_regenerated}). */
  MFA_ENABLED("mfa.enabled", Outcome.SUCCESS),
  MFA_REMOVED("mfa.removed", Outcome.SUCCESS),
  PASSKEY_ADDED("passkey.added", Outcome.SUCCESS),
  PASSKEY_REMOVED("passkey.removed", Outcome.SUCCESS),
  /** One import request (not one per user: an import of 100,000 users is one act); the reason gives its counts. */
  USERS_IMPORTED("users.imported", Outcome.SUCCESS);

  /** The {@code outcome} field's values. */
  public static final class Outcome {
    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";

    private Outcome() {
    }
  }

  private static final Map<String, AuditType> BY_WIRE = Arrays.stream(values())
    .collect(Collectors.toUnmodifiableMap(AuditType::wire, Function.identity()));

  private final String wire;
  private final String outcome;

  AuditType(String wire, String outcome) {
    this.wire = wire;
    this.outcome = outcome;
  }

  public String wire() {
    return wire;
  }

  public String outcome() {
    return outcome;
  }

  public static Optional<AuditType> fromWire(String wire) {
    return Optional.ofNullable(wire == null ? null : BY_WIRE.get(wire));
  }
}
