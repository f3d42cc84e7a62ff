package io.latchkey.auth.sync;

import io.latchkey.common.bus.UserNotice;

import java.time.Instant;

/**
 * One change the user service announced, from an event-bus notice or a {@code POST /auth/sync/*}
 * call (which have no event id and no time). {@code occurredAt}: when the change committed at the
 * user service (the user's {@code updatedAt} after it); null for the HTTP sync calls.
 */
public record SyncCommand(Long eventId, Kind kind, String userId, Long passwordVersion, String keepSessionId,
                          Instant occurredAt) {

  public enum Kind {
    PASSWORD_CHANGED,
    USER_DELETED,
    /** {@code POST /auth/sync/user-updated}: something changed, the caller did not say what. */
    USER_UPDATED,
    EMAIL_CHANGED,
    ROLES_CHANGED,
    /** A reset confirmed: a password change that keeps no session, and the account's lockout cleared. */
    PASSWORD_RESET,
    USER_DISABLED,
    USER_ENABLED,
    /** The address was verified: the cached entry is re-read (no revocation). */
    EMAIL_VERIFIED,
    /** A second factor was enabled: the cached entry is re-read, older entries dropped (no revocation). */
    MFA_ENABLED,
    /** The second factor was removed: the cached entry is re-read, every session but {@code keepSessionId} revoked. */
    MFA_REMOVED
  }

  public static SyncCommand from(UserNotice notice) {
    Kind kind = switch (notice.type()) {
      case PASSWORD_CHANGED -> Kind.PASSWORD_CHANGED;
      case USER_DELETED -> Kind.USER_DELETED;
      case EMAIL_CHANGED -> Kind.EMAIL_CHANGED;
      case ROLES_CHANGED -> Kind.ROLES_CHANGED;
      case PASSWORD_RESET -> Kind.PASSWORD_RESET;
      case USER_DISABLED -> Kind.USER_DISABLED;
      case USER_ENABLED -> Kind.USER_ENABLED;
      case EMAIL_VERIFIED -> Kind.EMAIL_VERIFIED;
      case MFA_ENABLED -> Kind.MFA_ENABLED;
      case MFA_REMOVED -> Kind.MFA_REMOVED;
    };
    // a reset keeps no session, whatever the notice carries
    String keep = kind == Kind.PASSWORD_RESET ? null : notice.keepSessionId();
    return new SyncCommand(notice.eventId(), kind, notice.userId(), notice.passwordVersion(), keep, notice.occurredAt());
  }

  public static SyncCommand password(String userId, long passwordVersion, String keepSessionId) {
    return new SyncCommand(null, Kind.PASSWORD_CHANGED, userId, passwordVersion, keepSessionId, null);
  }

  public static SyncCommand deleted(String userId) {
    return new SyncCommand(null, Kind.USER_DELETED, userId, null, null, null);
  }

  public static SyncCommand updated(String userId) {
    return new SyncCommand(null, Kind.USER_UPDATED, userId, null, null, null);
  }

  /** The same command for another spelling of the same ids (the bus consumer canonicalizes UUIDs). */
  public SyncCommand withIds(String canonicalUserId, String canonicalKeepSessionId) {
    return new SyncCommand(eventId, kind, canonicalUserId, passwordVersion, canonicalKeepSessionId, occurredAt);
  }
}
