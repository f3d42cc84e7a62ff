package io.latchkey.auth.login;

import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.login.LoginThrottle.Counter;
import io.latchkey.auth.session.MfaChallenges;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiException;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.PasswordRehash;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

/**
 * The rules of {@code POST /auth/login}: find the user (password cache, else the user service),
 * count the attempt, check the password on the bounded hashing pool, open a session.
 *
 * <ul>
 *   <li>An unknown login costs the same bcrypt work and gets the same 401 as a wrong password.</li>
 *   <li>While the user service cannot be reached, a login the cache can prove right succeeds;
 *       every other login answers 503 {@code user_service_unavailable}, so an outage reveals
 *       nothing about who exists or which password is wrong.</li>
 *   <li>A wrong password against a cached hash is re-checked once against the user service
 *       (the cache may be behind) before the answer is 401.</li>
 *   <li>Only after the right password: a disabled account answers 403 {@code account_disabled},
 *       and, when {@code EMAIL_VERIFICATION_REQUIRED} is on, an unverified address 403
 *       {@code email_not_verified} (a wrong password is the usual 401 after the same work, so
 *       neither answer tells anything to someone without the password). Such an attempt counts
 *       neither as a failure (the password was right: counting it would let an admin's disable, or
 *       an unconfirmed address, lock the owner out) nor as a success (it opens nothing, so it does
 *       not reset the account's count): its reservations are given back.</li>
 *   <li>A cache entry is never what lets a disabled user in: a disable evicts the entry and raises
 *       the durable floor, which refuses any entry that does not say "disabled"; an entry that
 *       does answers 403 (also while the user service is down); and the session is checked
 *       against the durable floor once more as it opens. Email verification has no notice, so a
 *       cached "unverified" is asked of the user service again before it is answered (503 while
 *       it cannot be asked).</li>
 *   <li>Audit: a refused login (wrong password, unknown login, disabled, unverified) writes one
 *       {@code login.failed} event, a locked one (429) one {@code login.locked}, each one insert on
 *       its own before the answer (a failure to write is logged and changes no answer); a success
 *       is audited by the statement that opens its session. The login string is never recorded
 *       (people type passwords into it).</li>
 *   <li>A user with a second factor and the right password (and no refusal) gets a challenge
 *       ({@link LoginResult.Challenge}), no tokens; {@link MfaLoginService} finishes it. Such an
 *       attempt is not a success yet: its reservations are given back and the account's count is
 *       <em>not</em> reset (else whoever holds the password could reset it with every fresh
 *       challenge and guess codes for ever). Nothing about the factor shows before the password is
 *       right: a wrong password of such a user is the same 401 after the same work.</li>
 *   <li>Imported hashes (argon2, PBKDF2) are checked with the password as typed, bcrypt with its
 *       NFKC form ({@link BcryptPool#verifyPassword}); the right password against any hash that is
 *       not bcrypt at the configured cost is upgraded to it before the answer ({@link #upgraded}).</li>
 * </ul>
 */
public final class LoginService {

  private static final Logger LOG = LoggerFactory.getLogger(LoginService.class);

  public record Attempt(String login, String password, String clientIp, String userAgent, String requestId) {
  }

  private enum Source { CACHE, USER_SERVICE, UNKNOWN, UNAVAILABLE }

  private record Candidate(Source source, Credentials credentials) {
  }

  private enum Verdict { SUCCESS, FAILURE, UNAVAILABLE }

  private record Outcome(Verdict verdict, Credentials credentials) {
  }

  private final PasswordCache cache;
  private final UserDirectory users;
  private final LoginThrottle throttle;
  private final BcryptPool bcrypt;
  private final Sessions sessions;
  private final boolean emailVerificationRequired;
  private final AuditTrail audit;
  private final MfaChallenges challenges;
  private final Duration mfaTokenTtl;

  /** The second-factor methods a challenge offers, as the answer names them. */
  static final List<String> MFA_METHODS = List.of(MfaCheck.Method.TOTP.wire(), MfaCheck.Method.RECOVERY_CODE.wire());

  public LoginService(PasswordCache cache, UserDirectory users, LoginThrottle throttle, BcryptPool bcrypt, Sessions sessions,
                      boolean emailVerificationRequired, AuditTrail audit, MfaChallenges challenges, Duration mfaTokenTtl) {
    this.audit = audit;
    this.challenges = challenges;
    this.mfaTokenTtl = mfaTokenTtl;
    this.cache = cache;
    this.users = users;
    this.throttle = throttle;
    this.bcrypt = bcrypt;
    this.sessions = sessions;
    this.emailVerificationRequired = emailVerificationRequired;
  }

  public Future<LoginResult> login(Attempt attempt) {
    // as typed: each kind of stored hash applies its own rule (bcrypt the NFKC form, imported hashes the bytes as given)
    String password = attempt.password();
    String rid = attempt.requestId();
    Counter ip = throttle.ip(attempt.clientIp());
    return throttle.reserve(ip, rid)
      .recover(err -> locked(err, attempt, null, "ip_locked").transform(x -> Future.<Void>failedFuture(err)))
      .compose(v -> find(attempt)
        .recover(err -> giveBack(err, ip, null))
        .compose(candidate -> {
          if (candidate.source() == Source.UNAVAILABLE) {
            // the same bcrypt work as any other answer, then "try again": nothing is revealed
            return bcrypt.verifyDummy(password)
              .transform(ar -> giveBack(UserDirectory.unavailable(), ip, null));
          }
          Counter account = candidate.credentials() == null
            ? throttle.unknownLogin(attempt.login())
            : throttle.user(candidate.credentials().userId());
          return throttle.reserve(account, rid)
            .recover(err -> locked(err, attempt, candidate.credentials(), "account_locked").transform(x -> giveBack(err, ip, null)))
            .compose(r -> check(candidate, password, rid).recover(err -> giveBack(err, ip, account)))
            .compose(outcome -> upgraded(outcome, password, rid))
            .compose(outcome -> settle(outcome, attempt, ip, account));
        }));
  }

  private Future<Candidate> find(Attempt attempt) {
    return cache.findByLogin(attempt.login()).compose(cached -> cached != null
      ? Future.succeededFuture(new Candidate(Source.CACHE, cached.credentials()))
      : fromUserService(attempt, true));
  }

  private Future<Candidate> fromUserService(Attempt attempt, boolean mayRetry) {
    return users.byLogin(attempt.login(), attempt.requestId()).compose(lookup -> switch (lookup.status()) {
      case NOT_FOUND -> Future.succeededFuture(new Candidate(Source.UNKNOWN, null));
      case UNAVAILABLE -> Future.succeededFuture(new Candidate(Source.UNAVAILABLE, null));
      case FOUND -> cache.install(lookup.credentials()).compose(result -> switch (result) {
        case INSTALLED -> Future.succeededFuture(new Candidate(Source.USER_SERVICE, lookup.credentials()));
        case DELETED -> Future.succeededFuture(new Candidate(Source.UNKNOWN, null));
        // a sync announced a newer state than this answer: ask once more, then give up ("try again")
        case STALE -> mayRetry ? fromUserService(attempt, false) : staleAnswer(attempt.requestId(), lookup.credentials());
      });
    });
  }

  private Future<Candidate> staleAnswer(String rid, Credentials credentials) {
    LOG.warn("[{}] the user service still answers an older state of user {} than a sync announced", rid, credentials.userId());
    return Future.succeededFuture(new Candidate(Source.UNAVAILABLE, null));
  }

  private Future<Outcome> check(Candidate candidate, String password, String rid) {
    if (candidate.credentials() == null) {
      return bcrypt.verifyDummy(password).map(x -> new Outcome(Verdict.FAILURE, null));
    }
    Credentials credentials = candidate.credentials();
    return verify(password, credentials).compose(ok -> {
      if (ok) {
        return candidate.source() == Source.CACHE && unverified(credentials)
          ? recheckVerification(credentials, password, rid)
          : Future.succeededFuture(new Outcome(Verdict.SUCCESS, credentials));
      }
      return candidate.source() == Source.CACHE
        ? recheck(credentials, password, rid)
        : Future.succeededFuture(new Outcome(Verdict.FAILURE, credentials));
    });
  }

  /** The cached hash did not match: the cache may be behind the user service; ask it once. */
  private Future<Outcome> recheck(Credentials cached, String password, String rid) {
    return users.byUserId(cached.userId(), rid).compose(lookup -> switch (lookup.status()) {
      case UNAVAILABLE -> Future.succeededFuture(new Outcome(Verdict.UNAVAILABLE, cached));
      case NOT_FOUND -> cache.evict(cached.userId()).map(x -> new Outcome(Verdict.FAILURE, cached));
      case FOUND -> {
        Credentials fresh = lookup.credentials();
        if (fresh.passwordHash().equals(cached.passwordHash()) && fresh.passwordVersion() == cached.passwordVersion()) {
          yield Future.succeededFuture(new Outcome(Verdict.FAILURE, cached));
        }
        yield cache.install(fresh).compose(result -> switch (result) {
          case DELETED -> Future.succeededFuture(new Outcome(Verdict.FAILURE, cached));
          case STALE -> Future.succeededFuture(new Outcome(Verdict.UNAVAILABLE, cached));
          case INSTALLED -> verify(password, fresh).map(ok -> new Outcome(ok ? Verdict.SUCCESS : Verdict.FAILURE, fresh));
        });
      }
    });
  }

  private boolean unverified(Credentials credentials) {
    return emailVerificationRequired && !credentials.emailVerified();
  }

  /**
   * The right password against a cached entry that says the address is unverified: no notice
   * tells this service of a verification, so the entry may be behind. Asks the user service once;
   * the answer is then decided on its state (the password checked again only if it changed).
   */
  private Future<Outcome> recheckVerification(Credentials cached, String password, String rid) {
    return users.byUserId(cached.userId(), rid).compose(lookup -> switch (lookup.status()) {
      case UNAVAILABLE -> Future.succeededFuture(new Outcome(Verdict.UNAVAILABLE, cached));
      case NOT_FOUND -> cache.evict(cached.userId()).map(x -> new Outcome(Verdict.FAILURE, cached));
      case FOUND -> {
        Credentials fresh = lookup.credentials();
        yield cache.install(fresh).compose(result -> switch (result) {
          case DELETED -> Future.succeededFuture(new Outcome(Verdict.FAILURE, cached));
          case STALE -> Future.succeededFuture(new Outcome(Verdict.UNAVAILABLE, cached));
          case INSTALLED -> fresh.passwordHash().equals(cached.passwordHash()) && fresh.passwordVersion() == cached.passwordVersion()
            ? Future.succeededFuture(new Outcome(Verdict.SUCCESS, fresh))
            : verify(password, fresh).map(ok -> new Outcome(ok ? Verdict.SUCCESS : Verdict.FAILURE, fresh));
        });
      }
    });
  }

  /** Why a login with the right password is refused anyway (null: it is not). */
  private ApiException refusal(Credentials credentials) {
    if (credentials.disabled()) {
      return Sessions.accountDisabled();
    }
    if (unverified(credentials)) {
      return emailNotVerified();
    }
    return null;
  }

  /** bcrypt or an imported hash, each by its own rule; a password that can never match costs a wrong one's work. */
  private Future<Boolean> verify(String password, Credentials credentials) {
    return bcrypt.verifyPassword(password, credentials.passwordHash());
  }

  /**
   * The right password, for a login that is not refused (disabled, unverified: those keep their
   * hash until a login of theirs succeeds; a second factor still to come does not count as a
   * refusal), against a hash that is not bcrypt at the configured cost (an imported one, or
   * bcrypt of another cost): re-hashed with bcrypt on the hashing pool here, and the hash
   * replaced at the user service by compare-and-set ({@link PasswordRehash}: only the hashes cross
   * the bus), before the login answers. The new state goes into the cluster-wide cache, so no node
   * checks the old hash again. The password version stays and no session is revoked. Whatever
   * goes wrong (pool full, user service away, a racing change that won) leaves the login as it
   * was: the old hash keeps working until a later login upgrades it.
   */
  private Future<Outcome> upgraded(Outcome outcome, String password, String rid) {
    Credentials user = outcome.credentials();
    if (outcome.verdict() != Verdict.SUCCESS || refusal(user) != null || !bcrypt.needsRehash(user.passwordHash())) {
      return Future.succeededFuture(outcome);
    }
    return bcrypt.rehash(password)
      .compose(newHash -> newHash.isEmpty()
        ? Future.succeededFuture(user)
        : users.rehash(new PasswordRehash(user.userId(), user.passwordVersion(), user.passwordHash(), newHash.get()), rid)
          .compose(answer -> answer.result() == PasswordRehash.Result.INSTALLED
            ? cache.install(answer.credentials()).map(answer.credentials())
            : Future.succeededFuture(user)))
      .map(current -> {
        if (current != user) {
          LOG.info("[{}] password hash of user {} upgraded to bcrypt at login", rid, user.userId());
        }
        return new Outcome(Verdict.SUCCESS, current);
      })
      .recover(err -> {
        LOG.warn("[{}] password hash of user {} not upgraded this time: {}", rid, user.userId(), err.getMessage());
        return Future.succeededFuture(outcome);
      });
  }

  private Future<LoginResult> settle(Outcome outcome, Attempt attempt, Counter ip, Counter account) {
    String rid = attempt.requestId();
    ApiException refused = outcome.verdict() == Verdict.SUCCESS ? refusal(outcome.credentials()) : null;
    if (refused != null) {
      LOG.info("[{}] login of user {} refused after the right password: {}", rid, outcome.credentials().userId(), refused.code());
      return audit.record(failed(attempt, outcome.credentials(), refused.code())).transform(x -> giveBack(refused, ip, account));
    }
    return switch (outcome.verdict()) {
      case SUCCESS -> outcome.credentials().secondFactorRequired()
        ? challenge(outcome.credentials(), attempt, ip, account)
        : throttle.reset(account)
          .compose(v -> throttle.release(ip))
          .compose(v -> sessions.open(outcome.credentials(), attempt.userAgent(), attempt.clientIp(), rid))
          .onSuccess(pair -> LOG.info("[{}] login of user {} succeeded: session {}", rid, outcome.credentials().userId(), pair.sessionId()))
          .map(LoginResult.Tokens::new);
      case FAILURE -> throttle.failed(account, rid)
        .compose(v -> throttle.failed(ip, rid))
        .compose(v -> {
          LOG.info("[{}] login failed ({})", rid, outcome.credentials() == null ? "unknown login"
            : "wrong password for user " + outcome.credentials().userId());
          return audit.record(failed(attempt, outcome.credentials(), outcome.credentials() == null ? "unknown_login" : "wrong_password"))
            .transform(x -> Future.<LoginResult>failedFuture(invalidCredentials()));
        });
      case UNAVAILABLE -> giveBack(UserDirectory.unavailable(), ip, account);
    };
  }

  /**
   * The right password of a user with a second factor: the reservations go back (the account's
   * count is not reset: the login is not finished), and a challenge is stored for the second step.
   */
  private Future<LoginResult> challenge(Credentials user, Attempt attempt, Counter ip, Counter account) {
    String token = MfaChallenges.newToken();
    return throttle.release(account)
      .compose(v -> throttle.release(ip))
      .compose(v -> challenges.create(token, user.userId(), user.passwordVersion(), mfaTokenTtl, attempt.clientIp(),
        attempt.userAgent()))
      .map(v -> {
        LOG.info("[{}] password of user {} right: second factor required, challenge issued", attempt.requestId(), user.userId());
        return new LoginResult.Challenge(token, MFA_METHODS, mfaTokenTtl.toSeconds());
      });
  }

  private static AuditEvent failed(Attempt attempt, Credentials credentials, String reason) {
    return AuditEvent.now(AuditType.LOGIN_FAILED, credentials == null ? null : credentials.userId(), null, null, attempt.clientIp(),
      attempt.userAgent(), attempt.requestId(), reason);
  }

  /** A 429 from the throttle: one login.locked event (the account's user when known); other failures write nothing. */
  private Future<Void> locked(Throwable err, Attempt attempt, Credentials credentials, String reason) {
    if (!(err instanceof ApiException refused) || refused.status() != 429) {
      return Future.succeededFuture();
    }
    return audit.record(AuditEvent.now(AuditType.LOGIN_LOCKED, credentials == null ? null : credentials.userId(), null, null,
      attempt.clientIp(), attempt.userAgent(), attempt.requestId(), reason));
  }

  /** The attempt neither failed nor succeeded (refused, outage, overload): give the reserved counts back. */
  private <T> Future<T> giveBack(Throwable failure, Counter ip, Counter account) {
    Future<Void> released = account == null
      ? throttle.release(ip)
      : throttle.release(account).compose(v -> throttle.release(ip));
    return released.transform(ar -> Future.failedFuture(failure));
  }

  static ApiException emailNotVerified() {
    return new ApiException(403, ErrorCodes.EMAIL_NOT_VERIFIED, "The email address of this account is not verified yet.");
  }

  static ApiException invalidCredentials() {
    return new ApiException(401, ErrorCodes.INVALID_CREDENTIALS, "The login or the password is wrong.");
  }
}
