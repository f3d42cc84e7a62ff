package io.latchkey.auth.login;

import io.latchkey.auth.login.LoginThrottle.Counter;
import io.latchkey.auth.session.MfaChallenges;
import io.latchkey.auth.session.MfaChallenges.Claimed;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.token.AccessClaims;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.MfaCheck;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of {@code POST /auth/login/mfa}, the second step of a login with a second factor:
 *
 * <ol>
 *   <li>one attempt of the challenge is claimed in one statement ({@link MfaChallenges#claim});
 *       none left (unknown, expired, finished, or {@link MfaChallenges#MAX_ATTEMPTS} codes
 *       tried): 401 {@code invalid_mfa_token};</li>
 *   <li>the client IP's and the account's login counters are reserved as a login reserves them
 *       (locked: 429 with Retry-After, {@code login.locked}, the attempt given back);</li>
 *   <li>the user service checks the code over the event bus, against the password version of the
 *       first step, and uses it up (a TOTP step or a recovery code works once, across every node):
 *     <ul>
 *       <li>accepted: the challenge is finished in one conditional statement (a racing request
 *           that finished it first wins: 401 {@code invalid_mfa_token}), the account's count
 *           reset, the IP's given back, and the session opened with {@code amr}
 *           {@code ["pwd", "otp", "mfa"]} (a recovery code is a one-time password too) and the
 *           usual durable-floor check;</li>
 *       <li>rejected: a failure on both counters (so wrong codes lead to the account's lockout),
 *           {@code mfa.failed}, 401 {@code invalid_mfa_code};</li>
 *       <li>stale (the password changed, the user is disabled or gone, the factor removed): the
 *           challenge is finished, the counters given back, 401 {@code invalid_mfa_token};</li>
 *       <li>no answer: the attempt and the counters are given back and the answer is 503
 *           {@code user_service_unavailable}; the token stays usable. No code is ever accepted
 *           here without the user service: there is never a session without the factor.</li>
 *     </ul></li>
 * </ol>
 */
public final class MfaLoginService {

  private static final Logger LOG = LoggerFactory.getLogger(MfaLoginService.class);

  /** One second-step request: the challenge's token and one code of {@code method}; neither is ever logged. */
  public record Attempt(String mfaToken, MfaCheck.Method method, String code, String clientIp, String userAgent,
                       String requestId) {

    @Override
    public String toString() {
      return "Attempt[method=" + method.wire() + ", clientIp=" + clientIp + ", requestId=" + requestId + "]";
    }
  }

  private final MfaChallenges challenges;
  private final UserDirectory users;
  private final LoginThrottle throttle;
  private final Sessions sessions;
  private final AuditTrail audit;

  public MfaLoginService(MfaChallenges challenges, UserDirectory users, LoginThrottle throttle, Sessions sessions,
                         AuditTrail audit) {
    this.challenges = challenges;
    this.users = users;
    this.throttle = throttle;
    this.sessions = sessions;
    this.audit = audit;
  }

  public Future<TokenPair> finish(Attempt attempt) {
    return challenges.claim(attempt.mfaToken()).compose(claimed -> claimed.isEmpty()
      ? Future.failedFuture(invalidMfaToken())
      : withClaimedAttempt(claimed.get(), attempt));
  }

  private Future<TokenPair> withClaimedAttempt(Claimed challenge, Attempt attempt) {
    String rid = attempt.requestId();
    Counter ip = throttle.ip(attempt.clientIp());
    Counter account = throttle.user(challenge.userId());
    MfaCheck check = new MfaCheck(challenge.userId(), challenge.passwordVersion(), attempt.method(), attempt.code());
    return throttle.reserve(ip, rid)
      .recover(err -> locked(err, attempt, challenge, "ip_locked").transform(x -> undecided(err, challenge)))
      .compose(v -> throttle.reserve(account, rid)
        .recover(err -> locked(err, attempt, challenge, "account_locked")
          .transform(x -> throttle.release(ip))
          .transform(x -> undecided(err, challenge))))
      .compose(v -> users.checkMfa(check, rid)
        .recover(err -> release(account, ip).transform(x -> undecided(err, challenge))))
      .compose(answer -> switch (answer.result()) {
        case ACCEPTED -> accepted(challenge, answer, attempt, ip, account);
        case REJECTED -> rejected(challenge, attempt, ip, account);
        case STALE -> stale(challenge, attempt, ip, account);
      });
  }

  private Future<TokenPair> accepted(Claimed challenge, MfaCheck.Answer answer, Attempt attempt, Counter ip, Counter account) {
    String rid = attempt.requestId();
    return challenges.finish(challenge).compose(won -> {
      if (!won) {
        LOG.info("[{}] second factor of user {} right, but another request finished the challenge first", rid, challenge.userId());
        return release(account, ip).transform(x -> Future.<TokenPair>failedFuture(invalidMfaToken()));
      }
      return throttle.reset(account)
        .compose(v -> throttle.release(ip))
        // the session records the first step's client, as a one-step login would
        .compose(v -> sessions.open(answer.credentials(), AccessClaims.PASSWORD_AND_OTP, "mfa_" + attempt.method().wire(),
          challenge.userAgent(), challenge.ip(), rid))
        .onSuccess(pair -> LOG.info("[{}] login of user {} succeeded with a second factor ({}): session {}", rid,
          challenge.userId(), attempt.method().wire(), pair.sessionId()));
    });
  }

  private Future<TokenPair> rejected(Claimed challenge, Attempt attempt, Counter ip, Counter account) {
    String rid = attempt.requestId();
    LOG.info("[{}] wrong second factor ({}) for user {} (attempt {} of {})", rid, attempt.method().wire(), challenge.userId(),
      challenge.attempts(), MfaChallenges.MAX_ATTEMPTS);
    return throttle.failed(account, rid)
      .compose(v -> throttle.failed(ip, rid))
      .compose(v -> audit.record(AuditEvent.now(AuditType.MFA_FAILED, challenge.userId(), null, null, attempt.clientIp(),
        attempt.userAgent(), rid, attempt.method().wire())))
      .transform(x -> Future.failedFuture(invalidMfaCode()));
  }

  private Future<TokenPair> stale(Claimed challenge, Attempt attempt, Counter ip, Counter account) {
    LOG.info("[{}] challenge of user {} no longer holds (password changed, disabled, deleted or factor removed): finished",
      attempt.requestId(), challenge.userId());
    return challenges.finish(challenge)
      .transform(x -> release(account, ip))
      .transform(x -> Future.failedFuture(invalidMfaToken()));
  }

  /** Nothing was decided (locked, or the user service could not answer): the claimed attempt does not count. */
  private <T> Future<T> undecided(Throwable failure, Claimed challenge) {
    return challenges.giveBack(challenge).transform(x -> Future.failedFuture(failure));
  }

  private Future<Void> release(Counter account, Counter ip) {
    return throttle.release(account).transform(x -> throttle.release(ip));
  }

  /** A 429 from the throttle: one login.locked event about the challenge's user; other failures write nothing. */
  private Future<Void> locked(Throwable err, Attempt attempt, Claimed challenge, String reason) {
    if (!(err instanceof ApiException refused) || refused.status() != 429) {
      return Future.succeededFuture();
    }
    return audit.record(AuditEvent.now(AuditType.LOGIN_LOCKED, challenge.userId(), null, null, attempt.clientIp(),
      attempt.userAgent(), attempt.requestId(), reason));
  }

  static ApiException invalidMfaToken() {
    return new ApiException(401, ErrorCodes.INVALID_MFA_TOKEN,
      "The MFA token is unknown, expired or already used, or had too many wrong codes; log in again.");
  }

  static ApiException invalidMfaCode() {
    return new ApiException(401, ErrorCodes.INVALID_MFA_CODE, "The code is wrong or was already used.");
  }
}
