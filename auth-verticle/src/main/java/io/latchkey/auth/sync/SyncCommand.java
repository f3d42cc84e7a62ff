package io.latchkey.auth.sync;

import io.latchkey.common.bus.UserNotice;

/**
 * One change the user service announced, from an event-bus notice or a {@code POST /auth/sync/*}
 * call (which have no event id).
 */
public record SyncCommand(Long eventId, Kind kind, String userId, Long passwordVersion, String keepSessionId) {

  public enum Kind {
    PASSWORD_CHANGED,
    USER_DELETED,
    /** {@code POST /auth/sync/user-updated}: something changed, the caller did not say what. */
    USER_UPDATED,
    EMAIL_CHANGED,
    ROLES_CHANGED
  }

  public static SyncCommand from(UserNotice notice) {
    Kind kind = switch (notice.type()) {
      case PASSWORD_CHANGED -> Kind.PASSWORD_CHANGED;
      case USER_DELETED -> Kind.USER_DELETED;
      case EMAIL_CHANGED -> Kind.EMAIL_CHANGED;
      case ROLES_CHANGED -> Kind.ROLES_CHANGED;
    };
    return new SyncCommand(notice.eventId(), kind, notice.userId(), notice.passwordVersion(), notice.keepSessionId());
  }

  public static SyncCommand password(String userId, long passwordVersion, String keepSessionId) {
    return new SyncCommand(null, Kind.PASSWORD_CHANGED, userId, passwordVersion, keepSessionId);
  }

  public static SyncCommand deleted(String userId) {
    return new SyncCommand(null, Kind.USER_DELETED, userId, null, null);
  }

  public static SyncCommand updated(String userId) {
    return new SyncCommand(null, Kind.USER_UPDATED, userId, null, null);
  }
}
