package io.latchkey.auth.session;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import io.latchkey.auth.floor.VersionFloor;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.auth.token.Revocations;
import io.latchkey.auth.token.TokenCheck;
import io.latchkey.auth.token.TokenSettings;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.Uuids;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The rules of sessions and refresh tokens: opening a session, rotating its refresh token
 * (single use, with the retry grace, reuse revokes the session), logout, and every revocation.
 * Each revocation is written to PostgreSQL first and then handed to {@link Revocations}, so it
 * is in force on this node when the returned future completes and survives a restart. What a
 * user did or caused (login, logout, logout-all, a deleted session, a reused refresh token) is
 * audited in the statement that makes the change; its JSON line is logged once that committed.
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
  private final AuditTrail audit;

  /** latchkey_refreshes_total by outcome: rotated, retry (inside the grace), reused (session revoked), invalid, error. */
  private final Counter rotated;
  private final Counter retried;
  private final Counter reused;
  private final Counter invalid;
  private final Counter failed;

  public SessionService(SessionRepository repository, RefreshTokens refreshTokens, AccessTokens accessTokens,
                        Revocations revocations, UserDirectory users, VersionFloors floors, AuditTrail audit,
                        MeterRegistry metrics) {
    this.audit = audit;
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
  public Future<TokenPair> open(Credentials user, List<String> amr, AuditType successEvent, String loginReason, String userAgent,
                                String clientIp, String requestId) {
    UUID userId = Uuids.parseOrNull(user.userId());
    if (userId == null) {
      return Future.failedFuture(new IllegalArgumentException("a user id must be a UUID"));
    }
    if (user.disabled()) {
      return Future.failedFuture(Sessions.accountDisabled());
    }
    UUID sessionId = UUID.randomUUID();
    String refreshToken = refreshTokens.newToken(sessionId);
    AuditEvent succeeded = AuditEvent.now(successEvent, user.userId(), sessionId.toString(), user.userId(), clientIp,
      userAgent, requestId, loginReason);
    return repository.insert(sessionId, userId, user.username(), user.roles(), user.passwordVersion(),
        RefreshTokens.hash(refreshToken), settings.refreshTokenTtl().toSeconds(), settings.sessionMaxLifetime().toSeconds(),
        truncate(userAgent, MAX_USER_AGENT), truncate(clientIp, MAX_IP), amr, succeeded)
      .onSuccess(session -> audit.published(succeeded))
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
      return revokeOpened(session, reason, requestId).compose(ids -> {
        revocations.revokeSessions(List.of(session.id()), requestId);
        LOG.info("[{}] session {} of user {} revoked as it opened: a sync applied meanwhile ({})", requestId, session.id(),
          session.userId(), reason);
        return Future.failedFuture(credentialsSuperseded());
      });
    }
    if (floor.disabled()) {
      return revokeOpened(session, "user_disabled", requestId).compose(ids -> {
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

  /** A session a sync superseded as it opened: revoked, and audited as ended (no actor: the system ended it). */
  private Future<List<String>> revokeOpened(SessionRepository.LiveSession session, String reason, String requestId) {
    AuditEvent ended = AuditEvent.now(AuditType.SESSION_ENDED, session.userId(), session.id(), null, null, null, requestId, reason);
    return repository.revoke(UUID.fromString(session.id()), reason, ended).onSuccess(ids -> {
      if (!ids.isEmpty()) {
        audit.published(ended);
      }
    });
  }

  private static Counter refreshes(MeterRegistry metrics, String outcome) {
    return Counter.builder("latchkey.refreshes").tag("outcome", outcome)
      .description("POST /auth/refresh by outcome (error: the database or the user service failed)").register(metrics);
  }

  /**
   * A presented refresh token, resolved to its session: the generation it is (-1: a legacy token
   * rotated before V14, older than any), its hash, the token that replaces it, and whether it is
   * provably one the server issued for that session and generation ({@code authentic}: its tag,
   * checked only when it decides something; a legacy token found in the database is).
   */
  private record Presented(UUID sessionId, long generation, byte[] hash, String successor, byte[] successorHash,
                           BooleanSupplier authentic) {

    static Presented of(UUID sessionId, long generation, String token, String successor, BooleanSupplier authentic) {
      return new Presented(sessionId, generation, RefreshTokens.hash(token), successor, RefreshTokens.hash(successor), authentic);
    }
  }

  private Presented presented(RefreshTokens.Parsed token) {
    return Presented.of(token.sessionId(), token.generation(), token.token(), refreshTokens.successorOf(token),
      () -> refreshTokens.authentic(token));
  }

  /**
   * A legacy token (issued before V14) by its hash: the one its session held at V14 is generation
   * 0 and rotates into a token of the current format; one rotated before V14 is older than that,
   * and its successor was a legacy token (a retry inside the grace across the upgrade gets it).
   */
  private Future<Optional<Presented>> resolveLegacy(String token) {
    return repository.findLegacy(RefreshTokens.hash(token)).map(found -> found.map(legacy -> legacy.retiredBeforeV14()
      ? Presented.of(legacy.sessionId(), -1, token, refreshTokens.legacySuccessorOf(token), () -> true)
      : Presented.of(legacy.sessionId(), 0, token, refreshTokens.successorOfLegacy(legacy.sessionId(), token), () -> true)));
  }

  /**
   * POST /auth/refresh: a new pair for a refresh token (single use, retry grace, reuse revokes).
   * {@code by} is asked for only when a reuse is audited (the client address is not parsed for
   * the refreshes that rotate).
   */
  public Future<TokenPair> refresh(String presented, String requestId, Supplier<AuditContext> by) {
    Optional<RefreshTokens.Parsed> parsed = RefreshTokens.parse(presented);
    if (parsed.isEmpty() && !RefreshTokens.legacyShape(presented)) {
      invalid.increment();
      return Future.failedFuture(invalidRefreshToken());
    }
    Future<Optional<Presented>> resolved = parsed.isPresent()
      ? Future.succeededFuture(Optional.of(presented(parsed.get()))) : resolveLegacy(presented);
    // rotated and retry are counted where they are decided; the refusals here, by their code
    return resolved
      .compose(token -> token.isEmpty() ? Future.<TokenPair>failedFuture(invalidRefreshToken()) : refresh(token.get(), requestId, by, 0))
      .onFailure(this::countRefusal);
  }

  private void countRefusal(Throwable err) {
    String code = err instanceof ApiException api ? api.code() : null;
    (ErrorCodes.INVALID_REFRESH_TOKEN.equals(code) ? invalid : ErrorCodes.REFRESH_TOKEN_REUSED.equals(code) ? reused : failed)
      .increment();
  }

  /**
   * One statement rotates the current token (by session id, generation and hash); when it does
   * not, one read of the session by id decides: a retry inside the grace, reuse, or invalid.
   */
  private Future<TokenPair> refresh(Presented presented, String requestId, Supplier<AuditContext> by, int attempt) {
    Future<Optional<SessionRepository.LiveSession>> rotation = presented.generation() < 0
      ? Future.succeededFuture(Optional.empty())
      : repository.rotate(presented.sessionId(), presented.generation(), presented.hash(), presented.successorHash(),
        settings.refreshTokenTtl().toSeconds());
    return rotation.compose(rotated -> {
      if (rotated.isPresent()) {
        this.rotated.increment();
        return Future.succeededFuture(pair(rotated.get(), presented.successor()));
      }
      return repository.lookup(presented.sessionId(), settings.refreshGrace().toSeconds())
        .compose(found -> notRotated(found, presented, requestId, by, attempt));
    });
  }

  /**
   * The token did not rotate. The session's current token (same generation and hash) did not
   * because the roles are stale or a concurrent change won: once more. The token just rotated away
   * from, inside the grace (the session's current hash is its successor's): the same successor.
   * An authentic older token: reuse, the session is revoked. Anything else (a forged tag, a
   * generation above the current one, the current generation with another hash, an unknown
   * session) is invalid and revokes nothing: knowing a session id (every access token carries it)
   * must not be enough to end the session.
   */
  private Future<TokenPair> notRotated(Optional<SessionRepository.RefreshState> found, Presented presented, String requestId,
                                       Supplier<AuditContext> by, int attempt) {
    if (found.isEmpty()) {
      return Future.failedFuture(invalidRefreshToken());
    }
    SessionRepository.RefreshState state = found.get();
    if (state.revoked() || !state.live()) {
      return Future.failedFuture(invalidRefreshToken());
    }
    boolean current = state.generation() == presented.generation() && MessageDigest.isEqual(state.currentHash(), presented.hash());
    boolean retryOfJustRotated = !current && !settings.refreshGrace().isZero() && state.rotatedWithinGrace()
      && state.generation() == presented.generation() + 1 && MessageDigest.isEqual(state.currentHash(), presented.successorHash());
    if (!current && !retryOfJustRotated) {
      return presented.generation() < state.generation() && presented.authentic().getAsBoolean()
        ? revokeForReuse(state, by.get()) : Future.failedFuture(invalidRefreshToken());
    }
    if (state.rolesStale() && attempt == 0) {
      // a roles change could not store the new roles: fetch them now, then rotate again
      return refreshRoles(UUID.fromString(state.userId()), state.userGeneration(), requestId)
        .compose(v -> refresh(presented, requestId, by, attempt + 1));
    }
    if (retryOfJustRotated) {
      LOG.info("[{}] refresh retried inside the grace for session {}: same successor", requestId, state.sessionId());
      retried.increment();
      return Future.succeededFuture(pair(state.session(), presented.successor()));
    }
    if (attempt == 0) {
      return refresh(presented, requestId, by, attempt + 1);
    }
    return Future.failedFuture(invalidRefreshToken());
  }

  private Future<TokenPair> revokeForReuse(SessionRepository.RefreshState token, AuditContext by) {
    String requestId = by.requestId();
    // no actor: whoever presented the old token is not known to be the user
    AuditEvent reuse = new AuditContext(null, null, by.ip(), by.userAgent(), requestId)
      .event(AuditType.REFRESH_REUSE_DETECTED, token.userId(), token.sessionId(), null);
    return repository.revoke(UUID.fromString(token.sessionId()), ErrorCodes.REFRESH_TOKEN_REUSED, reuse)
      .compose(ids -> {
        if (!ids.isEmpty()) {
          audit.published(reuse);
        }
        revocations.revokeSessions(List.of(token.sessionId()), requestId);
        LOG.warn("[{}] refresh token reuse on session {} of user {}: session revoked", requestId, token.sessionId(), token.userId());
        return Future.failedFuture(new ApiException(401, ErrorCodes.REFRESH_TOKEN_REUSED,
          "This refresh token was already used; the session is now revoked. Log in again."));
      });
  }

  /**
   * POST /auth/logout with a refresh token instead of a bearer token: ends the session of its
   * current token, of the token it just rotated away from, or of an older authentic one (as
   * presenting an older token to refresh would, as reuse). A forged tag ends nothing.
   */
  public Future<Void> logoutByRefreshToken(String presented, AuditContext by) {
    String requestId = by.requestId();
    Optional<RefreshTokens.Parsed> parsed = RefreshTokens.parse(presented);
    if (parsed.isEmpty() && !RefreshTokens.legacyShape(presented)) {
      return Future.failedFuture(invalidRefreshToken());
    }
    AuditEvent logout = by.event(AuditType.LOGOUT, null, null, null);
    Future<List<SessionRepository.RevokedSession>> revoking = parsed.map(token -> {
      Presented p = presented(token);
      return repository.revokeByRefreshToken(p.sessionId(), p.generation(), p.hash(), p.successorHash(),
        p.authentic().getAsBoolean(), "logout", logout);
    }).orElseGet(() -> repository.revokeByLegacyRefreshToken(RefreshTokens.hash(presented), "logout", logout));
    return revoking.compose(revoked -> {
      if (revoked.isEmpty()) {
        return Future.failedFuture(invalidRefreshToken());
      }
      revoked.forEach(r -> audit.published(logout.about(r.userId(), r.id()).by(r.userId())));
      List<String> ids = revoked.stream().map(SessionRepository.RevokedSession::id).toList();
      revocations.revokeSessions(ids, requestId);
      LOG.info("[{}] session {} logged out by refresh token", requestId, ids.get(0));
      return Future.succeededFuture();
    });
  }

  /**
   * POST /auth/revoke (RFC 7009): ends the session of the token presented, as a logout does (on
   * every node): a refresh token's as {@link #logoutByRefreshToken} does (current, just rotated or
   * older), an access token's only when its signature, issuer, audience and expiry check out (a
   * forged or expired token ends nothing; one already refused as revoked ends its session again,
   * harmlessly). The two kinds cannot be mistaken for each other (a refresh token has no dots), so
   * no hint is needed. True when a session was ended; an unknown, malformed or dead token is
   * false, never a failure.
   */
  public Future<Boolean> revokeByToken(String presented, AuditContext by) {
    if (RefreshTokens.refreshTokenShape(presented)) {
      return logoutByRefreshToken(presented, by).map(true).recover(err ->
        err instanceof ApiException api && ErrorCodes.INVALID_REFRESH_TOKEN.equals(api.code())
          ? Future.succeededFuture(false) : Future.failedFuture(err));
    }
    TokenCheck check = accessTokens.verify(presented);
    if (!check.valid()) {
      return Future.succeededFuture(false);
    }
    return logoutSession(check.claims().sessionId(), check.claims().userId(), by).map(true);
  }

  /** POST /auth/logout with a bearer token of {@code userId}: revokes the token's session (already revoked: still done). */
  public Future<Void> logoutSession(String sessionId, String userId, AuditContext by) {
    String requestId = by.requestId();
    UUID id = Uuids.parseOrNull(sessionId);
    if (id == null) {
      return Future.failedFuture(ApiException.invalidToken("The access token names no session."));
    }
    AuditEvent logout = by.event(AuditType.LOGOUT, userId, sessionId, null);
    return repository.revoke(id, "logout", logout).map(ids -> {
      if (!ids.isEmpty()) {
        audit.published(logout);
      }
      revocations.revokeSessions(List.of(sessionId), requestId);
      LOG.info("[{}] session {} logged out", requestId, sessionId);
      return null;
    });
  }

  /** POST /auth/logout-all: how many sessions were revoked. */
  public Future<Integer> logoutAll(String userId, AuditContext by) {
    String requestId = by.requestId();
    AuditEvent logoutAll = by.event(AuditType.LOGOUT_ALL, userId);
    return repository.logoutAll(UUID.fromString(userId), "logout_all", logoutAll).map(ids -> {
      audit.published(logoutAll);
      revocations.revokeSessions(ids, requestId);
      LOG.info("[{}] {} session(s) of user {} logged out", requestId, ids.size(), userId);
      return ids.size();
    });
  }

  /** DELETE /auth/sessions/{id}: the caller's own active session only, else 404 session_not_found. */
  public Future<Void> revokeOwnSession(String sessionId, String userId, AuditContext by) {
    String requestId = by.requestId();
    UUID id = Uuids.parseOrNull(sessionId);
    if (id == null) {
      return Future.failedFuture(sessionNotFound());
    }
    AuditEvent ended = by.event(AuditType.SESSION_ENDED, userId, id.toString(), "session_deleted");
    return repository.revokeOwn(id, UUID.fromString(userId), "session_deleted", ended).compose(ids -> {
      if (ids.isEmpty()) {
        return Future.failedFuture(sessionNotFound());
      }
      audit.published(ended);
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
  public Future<Integer> revokeAllExcept(String userId, String keepSessionId, String reason, String requestId) {
    UUID user = Uuids.parseOrNull(userId);
    if (user == null) {
      return Future.succeededFuture(0);
    }
    return repository.revokeAllExcept(user, Uuids.parseOrNull(keepSessionId), reason).map(ids -> {
      revocations.revokeSessions(ids, requestId);
      LOG.info("[{}] user {} ({}): {} session(s) revoked{}", requestId, userId, reason, ids.size(),
        keepSessionId == null ? "" : ", session " + keepSessionId + " kept");
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
      session.amr(), session.expiresAtEpochSecond());
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
