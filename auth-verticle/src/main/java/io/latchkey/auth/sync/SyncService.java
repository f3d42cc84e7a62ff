package io.latchkey.auth.sync;

import io.latchkey.auth.cache.CachedCredentials;
import io.latchkey.auth.cache.PasswordCache.InstallResult;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.floor.VersionFloor;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.session.MfaChallenges;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.HashSet;

/**
 * Applies what the user service announces, the same way for event-bus notices and for
 * {@code POST /auth/sync/*}. Every step is idempotent (floors only rise, evictions and
 * revocations repeat harmlessly), so a duplicate or a retry is harmless; a notice whose event id
 * was already applied is acknowledged without running again. The returned future completes
 * only once everything is in force.
 *
 * <p>A password change or reset, a disable, a deletion and the removal of the second factor also
 * delete the user's open login challenges (the second step of a login cannot finish after them;
 * the user service would answer such a check "stale" too, this makes it so on the auth side as well).
 */
public final class SyncService {

  private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);

  private final VersionFloors floors;
  private final AppliedNotices applied;
  private final PasswordCache cache;
  private final UserDirectory users;
  private final Sessions sessions;
  private final AccountLockouts lockouts;
  private final MfaChallenges challenges;

  public SyncService(VersionFloors floors, AppliedNotices applied, PasswordCache cache, UserDirectory users, Sessions sessions,
                     AccountLockouts lockouts, MfaChallenges challenges) {
    this.challenges = challenges;
    this.floors = floors;
    this.applied = applied;
    this.cache = cache;
    this.users = users;
    this.sessions = sessions;
    this.lockouts = lockouts;
  }

  public Future<Void> apply(SyncCommand command, String requestId) {
    if (command.eventId() == null) {
      return run(command, requestId);
    }
    return applied.contains(command.eventId()).compose(seen -> {
      if (seen) {
        LOG.info("[{}] notice {} ({}) for user {} was already applied", requestId, command.eventId(), command.kind(), command.userId());
        return Future.succeededFuture();
      }
      return run(command, requestId)
        .compose(v -> applied.record(command.eventId(), command.userId(), command.kind().name().toLowerCase()));
    });
  }

  private Future<Void> run(SyncCommand command, String rid) {
    // first, so that nothing this notice needs afterwards (the user service, for a re-read) keeps them alive
    Future<Void> killed = switch (command.kind()) {
      case PASSWORD_CHANGED, PASSWORD_RESET, USER_DISABLED, USER_DELETED, MFA_REMOVED -> killChallenges(command.userId(), rid);
      default -> Future.succeededFuture();
    };
    return killed.compose(v -> change(command, rid));
  }

  private Future<Void> killChallenges(String userId, String rid) {
    return challenges.deleteOfUser(userId).map(n -> {
      if (n > 0) {
        LOG.info("[{}] {} open login challenge(s) of user {} deleted", rid, n, userId);
      }
      return null;
    });
  }

  private Future<Void> change(SyncCommand command, String rid) {
    String userId = command.userId();
    return switch (command.kind()) {
      case PASSWORD_CHANGED -> passwordChanged(userId, command.passwordVersion(), command.keepSessionId(), rid).mapEmpty();
      // the owner proved control of the mailbox: every session goes (none kept), and the lockout
      // that guessing may have caused no longer keeps them out
      case PASSWORD_RESET -> passwordChanged(userId, command.passwordVersion(), null, rid)
        .compose(n -> lockouts.clear(userId, rid))
        .onSuccess(v -> LOG.info("[{}] password of user {} was reset: login lockout cleared", rid, userId));
      case USER_DISABLED -> disabled(userId, command.occurredAt(), rid);
      case USER_ENABLED -> enabled(userId, command.occurredAt(), rid);
      case USER_DELETED -> floors.markDeleted(userId)
        .compose(v -> cache.announce(userId, VersionFloor.deleted()))
        .compose(v -> cache.evict(userId))
        .compose(v -> sessions.revokeAllOfUser(userId, "user_deleted", rid)
          .onSuccess(n -> LOG.info("[{}] user {} deleted: cache entry evicted, {} session(s) revoked", rid, userId, n)))
        .mapEmpty();
      case USER_UPDATED, EMAIL_CHANGED, ROLES_CHANGED, EMAIL_VERIFIED -> refresh(userId, command.kind(), rid).mapEmpty();
      case MFA_ENABLED -> dropOlderEntries(userId, command.occurredAt())
        .compose(d -> refresh(userId, command.kind(), rid))
        .mapEmpty();
      // the revocation needs nothing of the user service: it comes before the re-read, so that an
      // outage of the user service (the notice is then retried) does not keep the sessions alive
      case MFA_REMOVED -> dropOlderEntries(userId, command.occurredAt())
        .compose(d -> sessions.revokeAllExcept(userId, command.keepSessionId(), "mfa_removed", rid))
        .onSuccess(n -> LOG.info("[{}] second factor of user {} removed: {} other session(s) revoked", rid, userId, n))
        .compose(n -> refresh(userId, command.kind(), rid))
        .mapEmpty();
    };
  }

  /**
   * MFA_ENABLED / MFA_REMOVED come first here: every node drops its cache entries older than the
   * change, so that once a factor is enabled a password alone stops finishing a login everywhere
   * (an entry that says "no factor" is never answered from again); the entry is then re-read as
   * after EMAIL_VERIFIED. A notice without a time drops nothing (none comes without one).
   */
  private Future<Boolean> dropOlderEntries(String userId, Instant occurredAt) {
    return occurredAt == null ? Future.succeededFuture(false) : cache.announce(userId, VersionFloor.updatedAt(occurredAt));
  }

  /**
   * Raises the version floor (durable first), drops older cache entries, revokes the sessions of
   * older password versions except {@code keepSessionId} (null: none kept); how many were revoked.
   */
  private Future<Integer> passwordChanged(String userId, long passwordVersion, String keepSessionId, String rid) {
    return floors.raisePasswordVersion(userId, passwordVersion)
      .compose(v -> cache.announce(userId, VersionFloor.password(passwordVersion)))
      .compose(dropped -> sessions.revokeOlderPasswordVersions(userId, passwordVersion, keepSessionId, rid)
        .onSuccess(n -> LOG.info("[{}] password of user {} is now version {}: cache entry {}, {} session(s) revoked", rid, userId,
          passwordVersion, dropped ? "dropped" : "unchanged", n)));
  }

  /**
   * USER_DISABLED. The durable floor comes first (disabled, and updated_at_floor raised to the
   * disable's time), in one statement: a login that read the credentials before the disable and
   * opens its session after this reads the flag and revokes that session itself
   * (SessionService.open), and one that opened earlier is seen by the revocation that follows.
   * Then every session is revoked and every access token refused, on every node; then the cache:
   * the floor in Hazelcast drops entries older than the disable on every node, and the entry is
   * evicted. Nothing here needs the user service, and every step repeats harmlessly, so a
   * failure (the notice is then not acknowledged and comes again) leaves nothing half done. A
   * disable older than an enable already applied (only possible if notices overtook each other)
   * changes nothing: the sessions opened since that enable are legitimate.
   */
  private Future<Void> disabled(String userId, Instant occurredAt, String rid) {
    return floors.setDisabled(userId, true, occurredAt).compose(inForce -> inForce
      ? revokeDisabled(userId, occurredAt, rid)
      : late(userId, "disable", rid));
  }

  private Future<Void> late(String userId, String what, String rid) {
    LOG.warn("[{}] a {} of user {} older than the one already applied: ignored", rid, what, userId);
    return Future.succeededFuture();
  }

  private Future<Void> revokeDisabled(String userId, Instant occurredAt, String rid) {
    return sessions.revokeAllOfUser(userId, "user_disabled", rid)
      .compose(n -> cache.announce(userId, VersionFloor.updatedAt(occurredAt))
        .compose(dropped -> cache.evict(userId))
        .onSuccess(evicted -> LOG.info("[{}] user {} disabled: {} session(s) revoked, access tokens refused, cache entry evicted",
          rid, userId, n)))
      .mapEmpty();
  }

  /**
   * USER_ENABLED: logins may succeed again (the flag cleared, unless a newer disable set it), and
   * the cached entry, if any, is refreshed like after a user-updated notice (an entry that still
   * says disabled is older than the enable and is dropped). Sessions are not restored.
   */
  private Future<Void> enabled(String userId, Instant occurredAt, String rid) {
    return floors.setDisabled(userId, false, occurredAt).compose(inForce -> !inForce
      ? late(userId, "enable", rid)
      : cache.announce(userId, VersionFloor.updatedAt(occurredAt))
        .compose(dropped -> refresh(userId, SyncCommand.Kind.USER_ENABLED, rid))
        .onSuccess(refreshed -> LOG.info("[{}] user {} enabled", rid, userId))
        .mapEmpty());
  }

  /**
   * Re-reads a user from the user service and refreshes the cached entry (an admin refresh also
   * installs an entry that was not cached). True when an entry now holds the fresh state.
   */
  public Future<Boolean> refreshForAdmin(String userId, String requestId) {
    return refresh(userId, null, requestId);
  }

  /** kind null: an admin refresh. */
  private Future<Boolean> refresh(String userId, SyncCommand.Kind kind, String rid) {
    return cache.peek(userId).compose(old -> users.byUserId(userId, rid).compose(lookup -> switch (lookup.status()) {
      case UNAVAILABLE -> Future.failedFuture(UserDirectory.unavailable());
      // deleted meanwhile: its own notice revokes the sessions
      case NOT_FOUND -> cache.evict(userId).map(false);
      case FOUND -> {
        Credentials fresh = lookup.credentials();
        boolean rolesChanged = kind == SyncCommand.Kind.ROLES_CHANGED
          || (old != null && !sameRoles(old, fresh))
          // nothing cached to compare with: the caller did not say what changed, assume the roles may have
          || (kind == SyncCommand.Kind.USER_UPDATED && old == null);
        // nothing older than this answer may be installed, answered from the cache or open a
        // session any more: the durable floor is raised first, before the access tokens are
        // invalidated, so a login that read older roles and opens its session after that sees
        // it (SessionService.open)
        yield floors.raiseUpdatedAt(userId, fresh.updatedAt())
          .compose(v -> cache.announce(userId, new VersionFloor(fresh.passwordVersion(), fresh.updatedAt())))
          .compose(v -> old != null || kind == null ? cache.install(fresh) : Future.succeededFuture(InstallResult.STALE))
          .compose(result -> (rolesChanged ? sessions.invalidateAccessTokens(userId, rid) : Future.<Void>succeededFuture())
            .map(v -> {
              LOG.info("[{}] user {} re-read from the user service: cache {}, roles {}", rid, userId,
                result == InstallResult.INSTALLED ? "refreshed" : "not cached", rolesChanged ? "changed (access tokens invalidated)" : "unchanged");
              return result == InstallResult.INSTALLED;
            }));
      }
    }));
  }

  private static boolean sameRoles(CachedCredentials old, Credentials fresh) {
    return new HashSet<>(old.credentials().roles()).equals(new HashSet<>(fresh.roles()));
  }
}
