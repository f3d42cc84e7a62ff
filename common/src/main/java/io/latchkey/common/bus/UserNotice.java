package io.latchkey.common.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A change the user service tells the auth service about, sent by the outbox relay to
 * {@code BusAddresses.AUTH_SYNC} (the reply {@code {"applied": true}} acknowledges it) and then
 * published on {@code BusAddresses.USER_EVENTS}.
 *
 * <ul>
 *   <li>{@code eventId}: the outbox row id, unique and growing per user: receivers deduplicate on it;</li>
 *   <li>{@code type}: see {@link Type};</li>
 *   <li>{@code passwordVersion}: for PASSWORD_CHANGED and PASSWORD_RESET, the new version;</li>
 *   <li>{@code keepSessionId}: for PASSWORD_CHANGED and MFA_REMOVED, the session that made the change (may be null);</li>
 *   <li>{@code occurredAt}: when the change committed, microsecond precision;</li>
 *   <li>{@code schemaVersion}: {@link #SCHEMA_VERSION}; a receiver ignores fields it does not know.</li>
 * </ul>
 */
public record UserNotice(long eventId, Type type, String userId, Long passwordVersion, String keepSessionId,
                         Instant occurredAt) {

  public static final int SCHEMA_VERSION = 1;

  public enum Type {
    PASSWORD_CHANGED("password_changed"),
    USER_DELETED("user_deleted"),
    EMAIL_CHANGED("email_changed"),
    ROLES_CHANGED("roles_changed"),
    /** A password reset confirmed: like PASSWORD_CHANGED with no session kept, and the account's login lockout cleared. */
    PASSWORD_RESET("password_reset"),
    /** Every session revoked, every access token refused, logins refused (403 account_disabled after the right password). */
    USER_DISABLED("user_disabled"),
    /** Logins allowed again; sessions are not restored. */
    USER_ENABLED("user_enabled"),
    /** The address was verified: the cached state (emailVerified) is re-read, nothing is revoked. */
    EMAIL_VERIFIED("email_verified"),
    /**
     * A second factor was enabled (TOTP confirmed; regenerating its recovery codes sends no notice,
     * nothing the auth service holds changes): the cached state is re-read, so a password alone
     * stops finishing a login; nothing is revoked.
     */
    MFA_ENABLED("mfa_enabled"),
    /**
     * The second factor was removed: the cached state is re-read, and every session of the user
     * but {@code keepSessionId} (the one that removed it; null: none kept) is revoked.
     */
    MFA_REMOVED("mfa_removed");

    private final String wire;

    Type(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static Type fromWire(String wire) {
      for (Type t : values()) {
        if (t.wire.equals(wire)) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown notice type: " + wire);
    }
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("schemaVersion", SCHEMA_VERSION)
      .put("eventId", eventId)
      .put("type", type.wire())
      .put("userId", userId)
      .put("occurredAt", occurredAt.toString());
    if (passwordVersion != null) {
      json.put("passwordVersion", passwordVersion);
    }
    if (keepSessionId != null) {
      json.put("keepSessionId", keepSessionId);
    }
    return json;
  }

  public static UserNotice fromJson(JsonObject json) {
    return new UserNotice(json.getLong("eventId"), Type.fromWire(json.getString("type")), json.getString("userId"),
      json.getLong("passwordVersion"), json.getString("keepSessionId"), Instant.parse(json.getString("occurredAt")));
  }
}
