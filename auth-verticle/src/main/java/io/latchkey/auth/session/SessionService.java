package io.latchkey.auth.session;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import io.latchkey.auth.floor.VersionFloor;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.auth.token.Revocations;
import io.latchkey.auth.token.TokenSettings;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.Uuids;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The rules of sessions and refresh tokens: opening a session, rotating its refresh token
 * (single use, with the retry grace, reuse revokes the session), logout, and every revocation.
 * Each revocation is written to PostgreSQL first and then handed to {@link Revocations}, so it
 * is in force on this node when the returned future completes and survives a restart.
 */
public final class SessionService implements Sessions {

  private static final Logger LOG = LoggerFactory.getLogger(SessionService.class);
  public static final int MAX_LISTED_SESSIONS = 200;
  private static final int MAX_USER_AGENT = 512;
  private static final int MAX_IP = 64;

  private final SessionRepository repository;
  private final RefreshTokens refreshTokens;
  private final AccessTokens accessTokens;
  private final Revocations revocations;
  private final UserDirectory users;
  private final TokenSettings settings;
  private final VersionFloors floors;

  /** latchkey_refreshes_total by outcome: rotated, retry (inside the grace), reused (session revoked), invalid, error. */
  private final Counter rotated;
  private final Counter retried;
  private final Counter reused;
  private final Counter invalid;
  private final Counter failed;

  public SessionService(SessionRepository repository, RefreshTokens refreshTokens, AccessTokens accessTokens,
                        Revocations revocations, UserDirectory users, VersionFloors floors, MeterRegistry metrics) {
    this.rotated = refreshes(metrics, "rotated");
    this.retried = refreshes(metrics, "retry");
    this.reused = refreshes(metrics, "reused");
    this.invalid = refreshes(metrics, "invalid");
    this.failed = refreshes(metrics, "error");
    this.repository = repository;
    this.floors = floors;
    this.refreshTokens = refreshTokens;
    this.accessTokens = accessTokens;
    this.revocations = revocations;
    this.users = users;
    this.settings = accessTokens.settings();
  }

  /**
   * Opens the session, then checks it against what syncs have applied since the credentials
   * were read. A login reads the credentials, spends a bcrypt verification, and only then
   * inserts; a sync (password change, deletion, roles change) that ran in between has already
   * revoked the user's sessions or stored the new roles, and would miss this one. Every sync
   * raises the user's durable floor (auth.user_sync_state) before it revokes or raises the
   * token generation, and this check reads the floor after the insert committed (READ
   * COMMITTED), so for any interleaving either the sync's revocation saw the new row or this
   * check sees the sync's floor:
   * <ul>
   *   <li>deleted, or a newer password version announced: the session is revoked (like any
   *       other revocation, on every node) and the login answers 401 invalid_credentials;</li>
   *   <li>disabled (USER_DISABLED applied, USER_ENABLED not yet): the session is revoked and the
   *       login answers 403 account_disabled;</li>
   *   <li>a newer user state read by a user-updated sync (roles may have changed): the session's
   *       roles generation is lowered, so its access token is refused and its first refresh
   *       fetches the current roles (the insert took the generation as raised by that sync).</li>
   * </ul>
   */
  @Override
  public Future<TokenPair> open(Credentials user, String userAgent, String clientIp, String requestId) {
    UUID userId = Uuids.parseOrNull(user.userId());
    if (userId == null) {
      return Future.failedFuture(new IllegalArgumentException("a user id must be a UUID"));
    }
    if (user.disabled()) {
      return Future.failedFuture(Sessions.accountDisabled());
    }
    String refreshToken = refreshTokens.newToken();
    return repository.insert(UUID.randomUUID(), userId, user.username(), user.roles(), user.passwordVersion(),
        RefreshTokens.hash(refreshToken), settings.refreshTokenTtl().toSeconds(), settings.sessionMaxLifetime().toSeconds(),
        truncate(userAgent, MAX_USER_AGENT), truncate(clientIp, MAX_IP))
      .compose(session -> floors.floor(user.userId()).compose(floor -> againstFloor(session, user, floor, requestId)))
      .map(session -> {
        LOG.info("[{}] session {} opened for user {}", requestId, session.id(), session.userId());
        return pair(session, refreshToken);
      });
  }

  private Future<SessionRepository.LiveSession> againstFloor(SessionRepository.LiveSession session, Credentials user,
                                                             VersionFloor floor, String requestId) {
    if (floor.deletedUser() || user.passwordVersion() < floor.passwordVersion()) {
      String reason = floor.deletedUser() ? "user_deleted" : "password_changed";
      return repository.revoke(UUID.fromString(session.id()), reason).compose(ids -> {
        revocations.revokeSessions(List.of(session.id()), requestId);
        LOG.info("[{}] session {} of user {} revoked as it opened: a sync applied meanwhile ({})", requestId, session.id(),
          session.userId(), reason);
        return Future.failedFuture(credentialsSuperseded());
      });
    }
    if (floor.disabled()) {
      return repository.revoke(UUID.fromString(session.id()), "user_disabled").compose(ids -> {
        revocations.revokeSessions(List.of(session.id()), requestId);
        LOG.info("[{}] session {} of user {} revoked as it opened: the user is disabled", requestId, session.id(),
          session.userId());
        return Future.failedFuture(Sessions.accountDisabled());
      });
    }
    if (user.updatedAt().truncatedTo(ChronoUnit.MICROS).isBefore(floor.updatedAt())) {
      LOG.info("[{}] session {} of user {} opened with a state older than a sync read: roles marked stale", requestId,
        session.id(), session.userId());
      return repository.markRolesStale(UUID.fromString(session.id()));
    }
    return Future.succeededFuture(session);
  }

  private static Counter refreshes(MeterRegistry metrics, String outcome) {
    return Counter.builder("latchkey.refreshes").tag("outcome", outcome)
      .description("POST /auth/refresh by outcome (error: the database or the user service failed)").register(metrics);
  }

  /** POST /auth/refresh: a new pair for a refresh token (single use, retry grace, reuse revokes). */
  public Future<TokenPair> refresh(String presented, String requestId) {
    if (!RefreshTokens.wellFormed(presented)) {
      invalid.increment();
      return Future.failedFuture(invalidRefreshToken());
    }
    // rotated and retry are counted where they are decided; the refusals here, by their code
    return refresh(presented, requestId, 0).onFailure(this::countRefusal);
  }

  private void countRefusal(Throwable err) {
    String code = err instanceof ApiException api ? api.code() : null;
    (ErrorCodes.INVALID_REFRESH_TOKEN.equals(code) ? invalid : ErrorCodes.REFRESH_TOKEN_REUSED.equals(code) ? reused : failed)
      .increment();
  }

  private Future<TokenPair> refresh(String presented, String requestId, int attempt) {
    byte[] presentedHash = RefreshTokens.hash(presented);
    String successor = refreshTokens.successorOf(presented);
    byte[] successorHash = RefreshTokens.hash(successor);
    return repository.rotate(presentedHash, successorHash, settings.refreshTokenTtl().toSeconds())
      .compose(rotated -> {
        if (rotated.isPresent()) {
          this.rotated.increment();
          return Future.succeededFuture(pair(rotated.get(), successor));
        }
        return repository.lookup(presentedHash, settings.refreshGrace().toSeconds())
          .compose(found -> notRotated(found, presented, successorHash, successor, requestId, attempt));
      });
  }

  private Future<TokenPair> notRotated(Optional<SessionRepository.PresentedToken> found, String presented,
                                       byte[] successorHash, String successor, String requestId, int attempt) {
    if (found.isEmpty()) {
      return Future.failedFuture(invalidRefreshToken());
    }
    SessionRepository.PresentedToken token = found.get();
    if (token.revoked() || !token.live()) {
      return Future.failedFuture(invalidRefreshToken());
    }
    boolean retryOfJustRotated = !token.current() && token.withinGrace() && !settings.refreshGrace().isZero()
      && MessageDigest.isEqual(token.sessionCurrentHash(), successorHash);
    if (!token.current() && !retryOfJustRotated) {
      return revokeForReuse(token, requestId);
    }
    if (token.rolesStale() && attempt == 0) {
      // a roles change could not store the new roles: fetch them now, then rotate again
      return refreshRoles(UUID.fromString(token.userId()), token.userGeneration(), requestId)
        .compose(v -> refresh(presented, requestId, attempt + 1));
    }
    if (retryOfJustRotated) {
      LOG.info("[{}] refresh retried inside the grace for session {}: same successor", requestId, token.sessionId());
      retried.increment();
      return Future.succeededFuture(pair(token.session(), successor));
    }
    if (attempt == 0) {
      return refresh(presented, requestId, attempt + 1);
    }
    return Future.failedFuture(invalidRefreshToken());
  }

  private Future<TokenPair> revokeForReuse(SessionRepository.PresentedToken token, String requestId) {
    return repository.revoke(UUID.fromString(token.sessionId()), ErrorCodes.REFRESH_TOKEN_REUSED)
      .compose(ids -> {
        revocations.revokeSessions(List.of(token.sessionId()), requestId);
        LOG.warn("[{}] refresh token reuse on session {} of user {}: session revoked", requestId, token.sessionId(), token.userId());
        return Future.failedFuture(new ApiException(401, ErrorCodes.REFRESH_TOKEN_REUSED,
          "This refresh token was already used; the session is now revoked. Log in again."));
      });
  }

  /** POST /auth/logout with a refresh token instead of a bearer token. */
  public Future<Void> logoutByRefreshToken(String presented, String requestId) {
    if (!RefreshTokens.wellFormed(presented)) {
      return Future.failedFuture(invalidRefreshToken());
    }
    return repository.revokeByRefreshToken(RefreshTokens.hash(presented), "logout")
      .compose(ids -> {
        if (ids.isEmpty()) {
          return Future.failedFuture(invalidRefreshToken());
        }
        revocations.revokeSessions(ids, requestId);
        LOG.info("[{}] session {} logged out by refresh token", requestId, ids.get(0));
        return Future.succeededFuture();
      });
  }

  /** POST /auth/logout with a bearer token: revokes the token's session (already revoked: still done). */
  public Future<Void> logoutSession(String sessionId, String requestId) {
    UUID id = Uuids.parseOrNull(sessionId);
    if (id == null) {
      return Future.failedFuture(ApiException.invalidToken("The access token names no session."));
    }
    return repository.revoke(id, "logout").map(ids -> {
      revocations.revokeSessions(List.of(sessionId), requestId);
      LOG.info("[{}] session {} logged out", requestId, sessionId);
      return null;
    });
  }

  /** POST /auth/logout-all: how many sessions were revoked. */
  public Future<Integer> logoutAll(String userId, String requestId) {
    return repository.revokeAllOfUser(UUID.fromString(userId), "logout_all").map(ids -> {
      revocations.revokeSessions(ids, requestId);
      LOG.info("[{}] {} session(s) of user {} logged out", requestId, ids.size(), userId);
      return ids.size();
    });
  }

  /** DELETE /auth/sessions/{id}: the caller's own active session only, else 404 session_not_found. */
  public Future<Void> revokeOwnSession(String sessionId, String userId, String requestId) {
    UUID id = Uuids.parseOrNull(sessionId);
    if (id == null) {
      return Future.failedFuture(sessionNotFound());
    }
    return repository.revokeOwn(id, UUID.fromString(userId), "session_deleted").compose(ids -> {
      if (ids.isEmpty()) {
        return Future.failedFuture(sessionNotFound());
      }
      revocations.revokeSessions(ids, requestId);
      LOG.info("[{}] session {} deleted by its user", requestId, sessionId);
      return Future.succeededFuture();
    });
  }

  public Future<List<SessionRepository.SessionView>> listActive(String userId) {
    return repository.listActive(UUID.fromString(userId), MAX_LISTED_SESSIONS);
  }

  @Override
  public Future<Integer> revokeOlderPasswordVersions(String userId, long passwordVersion, String keepSessionId, String requestId) {
    UUID user = Uuids.parseOrNull(userId);
    if (user == null) {
      return Future.succeededFuture(0);
    }
    return repository.revokeOlderPasswordVersions(user, passwordVersion, Uuids.parseOrNull(keepSessionId)).map(ids -> {
      revocations.revokeSessions(ids, requestId);
      LOG.info("[{}] password version {} of user {}: {} older session(s) revoked", requestId, passwordVersion, userId, ids.size());
      return ids.size();
    });
  }

  @Override
  public Future<Integer> revokeAllOfUser(String userId, String reason, String requestId) {
    UUID user = Uuids.parseOrNull(userId);
    if (user == null) {
      return Future.succeededFuture(0);
    }
    return repository.revokeUser(user, reason == null ? "revoked" : reason).map(revoked -> {
      revocations.revokeSessions(revoked.sessionIds(), requestId);
      revocations.raiseGenerationFloor(userId, revoked.generation(), requestId);
      LOG.info("[{}] user {} ({}): {} session(s) revoked, tokens below generation {} refused", requestId, userId, reason,
        revoked.sessionIds().size(), revoked.generation());
      return revoked.sessionIds().size();
    });
  }

  /**
   * Raises the user's generation (every access token issued so far is refused from now on),
   * then stores the user's current roles on their sessions. If the user service cannot be asked
   * now, the sessions keep a roles generation below the user's, and their next refresh fetches
   * the roles first.
   */
  @Override
  public Future<Void> invalidateAccessTokens(String userId, String requestId) {
    UUID user = Uuids.parseOrNull(userId);
    if (user == null) {
      return Future.succeededFuture();
    }
    return repository.raiseGeneration(user).compose(generation -> {
      revocations.raiseGenerationFloor(userId, generation, requestId);
      LOG.info("[{}] access tokens of user {} below generation {} refused", requestId, userId, generation);
      return refreshRoles(user, generation, requestId).recover(err -> {
        LOG.warn("[{}] roles of user {} not stored now ({}); the next refresh fetches them", requestId, userId, err.getMessage());
        return Future.succeededFuture();
      });
    });
  }

  /** Reads the user's roles from the user service and stores them on their sessions as of {@code generation}. */
  private Future<Void> refreshRoles(UUID userId, long generation, String requestId) {
    return users.byUserId(userId.toString(), requestId).compose(lookup -> switch (lookup.status()) {
      // disabled meanwhile (its notice may still be on its way): the sessions die now, as for a deletion
      case FOUND -> lookup.credentials().disabled()
        ? revokeAllOfUser(userId.toString(), "user_disabled", requestId).compose(n -> Future.failedFuture(invalidRefreshToken()))
        : repository.storeRoles(userId, lookup.credentials().username(), lookup.credentials().roles(), generation)
          .<Void>mapEmpty();
      // the user is gone: their sessions die with them
      case NOT_FOUND -> revokeAllOfUser(userId.toString(), "user_deleted", requestId)
        .compose(n -> Future.failedFuture(invalidRefreshToken()));
      case UNAVAILABLE -> Future.failedFuture(UserDirectory.unavailable());
    });
  }

  private TokenPair pair(SessionRepository.LiveSession session, String refreshToken) {
    String access = accessTokens.issue(session.userId(), session.id(), session.username(), session.roles(), session.generation(),
      session.expiresAtEpochSecond());
    long expiresIn = Math.max(0, Math.min(settings.accessTokenTtl().toSeconds(),
      session.expiresAtEpochSecond() - System.currentTimeMillis() / 1000));
    return new TokenPair(access, refreshToken, expiresIn, Math.max(0, session.refreshExpiresIn()), session.id());
  }

  /** The password was right when checked, but a sync changed or deleted it before the session opened. */
  static ApiException credentialsSuperseded() {
    return new ApiException(401, ErrorCodes.INVALID_CREDENTIALS, "The login or the password is wrong.");
  }

  static ApiException invalidRefreshToken() {
    return new ApiException(401, ErrorCodes.INVALID_REFRESH_TOKEN, "The refresh token is unknown, expired or revoked.");
  }

  static ApiException sessionNotFound() {
    return ApiException.notFound(ErrorCodes.SESSION_NOT_FOUND, "No such session.");
  }

  private static String truncate(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }
}
