package io.latchkey.auth.sync;

import io.latchkey.auth.cache.CachedCredentials;
import io.latchkey.auth.cache.PasswordCache.InstallResult;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.floor.VersionFloor;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;

/**
 * Applies what the user service announces, the same way for event-bus notices and for
 * {@code POST /auth/sync/*}. Every step is idempotent (floors only rise, evictions and
 * revocations repeat harmlessly), so a duplicate or a retry is harmless; a notice whose event id
 * was already applied is acknowledged without running again. The returned future completes
 * only once everything is in force.
 */
public final class SyncService {

  private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);

  /** Applied-notice ids are kept this long for deduplication (the user service retries for far less). */
  private static final int NOTICE_RETENTION_DAYS = 30;
  private static final long PRUNE_INTERVAL_MS = 6 * 3600 * 1000L;
  private static final int PRUNE_BATCH = 10_000;

  private final VersionFloors floors;
  private final AppliedNotices applied;
  private final PasswordCache cache;
  private final UserDirectory users;
  private final Sessions sessions;
  private long pruneTimer = -1;

  public SyncService(VersionFloors floors, AppliedNotices applied, PasswordCache cache, UserDirectory users, Sessions sessions) {
    this.floors = floors;
    this.applied = applied;
    this.cache = cache;
    this.users = users;
    this.sessions = sessions;
  }

  /** Prunes the applied-notice log periodically (a minute after start, then every six hours). */
  public void startPruning(Vertx vertx) {
    pruneTimer = vertx.setPeriodic(60_000, PRUNE_INTERVAL_MS, id -> applied.pruneOlderThan(NOTICE_RETENTION_DAYS, PRUNE_BATCH)
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("pruned {} applied user notice(s) older than {} days", n, NOTICE_RETENTION_DAYS);
        }
      })
      .onFailure(e -> LOG.warn("pruning applied user notices failed: {}", e.toString())));
  }

  public void stopPruning(Vertx vertx) {
    if (pruneTimer >= 0) {
      vertx.cancelTimer(pruneTimer);
    }
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
    String userId = command.userId();
    return switch (command.kind()) {
      case PASSWORD_CHANGED -> floors.raisePasswordVersion(userId, command.passwordVersion())
        .compose(v -> cache.announce(userId, VersionFloor.password(command.passwordVersion())))
        .compose(dropped -> sessions.revokeOlderPasswordVersions(userId, command.passwordVersion(), command.keepSessionId(), rid)
          .onSuccess(n -> LOG.info("[{}] password of user {} is now version {}: cache entry {}, {} session(s) revoked", rid, userId,
            command.passwordVersion(), dropped ? "dropped" : "unchanged", n)))
        .mapEmpty();
      case USER_DELETED -> floors.markDeleted(userId)
        .compose(v -> cache.announce(userId, VersionFloor.deleted()))
        .compose(v -> cache.evict(userId))
        .compose(v -> sessions.revokeAllOfUser(userId, "user_deleted", rid)
          .onSuccess(n -> LOG.info("[{}] user {} deleted: cache entry evicted, {} session(s) revoked", rid, userId, n)))
        .mapEmpty();
      case USER_UPDATED, EMAIL_CHANGED, ROLES_CHANGED -> refresh(userId, command.kind(), rid).mapEmpty();
    };
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
