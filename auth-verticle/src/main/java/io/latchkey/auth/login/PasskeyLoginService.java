package io.latchkey.auth.login;

import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.auth.login.LoginThrottle.Counter;
import io.latchkey.auth.session.PasskeyChallenges;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.token.AccessClaims;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.WindowCounters;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.PasskeyCheck;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * The rules of passkey login, for discoverable credentials (no username typed):
 *
 * <p>{@code POST /auth/passkey/options} stores a fresh challenge ({@link PasskeyChallenges}) and
 * answers the request options. Anyone may ask, so each client IP (an IPv6 client per /64) gets at
 * most {@link #OPTIONS_PER_IP} per {@link #OPTIONS_WINDOW_SECONDS} s, counted cluster-wide
 * ({@link WindowCounters}, map {@value #OPTIONS_MAP}, keys blinded), then 429
 * {@code too_many_requests} with Retry-After: the challenge table cannot be filled from one address.
 *
 * <p>{@code POST /auth/passkey/login}:
 * <ol>
 *   <li>the client IP's login counter is reserved (locked: 429, {@code login.locked});</li>
 *   <li>the challenge is used up in one statement; unknown, expired or used, or not the challenge
 *       inside the assertion's {@code clientDataJSON}: a failure on the IP's counter,
 *       {@code passkey.login} (failure), 401 {@code invalid_credentials};</li>
 *   <li>the user service verifies the assertion ({@code USER_PASSKEY_CHECK}) and records the new
 *       signature counter. No answer: the IP's attempt is given back, 503
 *       {@code user_service_unavailable} (the challenge is gone: new options are needed);</li>
 *   <li>rejected: a failure on the IP's counter and, when the credential is known, on its
 *       account's, {@code passkey.login} (failure, with the reason), 401 {@code invalid_credentials}
 *       (every failed passkey login is that same answer);</li>
 *   <li>accepted: the account's counter is reserved (locked: 429, the IP's attempt given back); a
 *       disabled user is 403 {@code account_disabled} ({@code login.failed}, both attempts given
 *       back, as {@link LoginService} refuses the right password of a disabled user); otherwise the
 *       account's count is reset, the IP's attempt given back and the session opened with
 *       {@code amr} {@link AccessClaims#PASSKEY} and the usual durable-floor check. Its insert
 *       writes the one success event, {@code passkey.login} with the passkey's id as reason. No
 *       second step follows, even for a user with TOTP: the passkey is two factors by itself.</li>
 * </ol>
 */
public final class PasskeyLoginService {

  private static final Logger LOG = LoggerFactory.getLogger(PasskeyLoginService.class);

  /** The cluster map of the options' per-IP counters. */
  public static final String OPTIONS_MAP = "latchkey.auth.passkey-options";
  /** Options a client IP may ask for per window: a login page asks once per attempt. */
  public static final int OPTIONS_PER_IP = 60;
  public static final int OPTIONS_WINDOW_SECONDS = 60;

  /** One login request; the assertion is never logged. */
  public record Attempt(UUID challengeId, JsonObject credential, String clientIp, String userAgent, String requestId) {

    @Override
    public String toString() {
      return "Attempt[challengeId=" + challengeId + ", clientIp=" + clientIp + ", requestId=" + requestId + "]";
    }
  }

  private final PasskeyChallenges challenges;
  private final WindowCounters optionCounters;
  private final CacheCipher cipher;
  private final UserDirectory users;
  private final LoginThrottle throttle;
  private final Sessions sessions;
  private final AuditTrail audit;
  private final String rpId;

  public PasskeyLoginService(PasskeyChallenges challenges, WindowCounters optionCounters, CacheCipher cipher, UserDirectory users,
                             LoginThrottle throttle, Sessions sessions, AuditTrail audit, String rpId) {
    this.challenges = challenges;
    this.optionCounters = optionCounters;
    this.cipher = cipher;
    this.users = users;
    this.throttle = throttle;
    this.sessions = sessions;
    this.audit = audit;
    this.rpId = rpId;
  }

  /** The request options of a fresh challenge (WebAuthn JSON form), with its {@code challengeId}. */
  public Future<JsonObject> options(String clientIp, String requestId) {
    String key = cipher.blindIndex("passkey-options", TrustedProxies.throttleKey(clientIp));
    return optionCounters.take(key, OPTIONS_PER_IP).compose(retryAfter -> {
      if (retryAfter > 0) {
        LOG.info("[{}] passkey options refused: more than {} from one client in {} s", requestId, OPTIONS_PER_IP,
          OPTIONS_WINDOW_SECONDS);
        return Future.failedFuture(new ApiException(429, ErrorCodes.TOO_MANY_REQUESTS,
          "Too many passkey challenges asked for from this address; try again later.")
          .withHeader("Retry-After", String.valueOf(retryAfter)));
      }
      return challenges.issue();
    }).map(issued -> new JsonObject()
      .put("challengeId", issued.id().toString())
      .put("challenge", issued.challenge())
      .put("rpId", rpId)
      .put("timeout", PasskeyChallenges.TTL.toMillis())
      .put("userVerification", "required")
      .put("allowCredentials", List.of()));
  }

  public Future<TokenPair> login(Attempt attempt) {
    String rid = attempt.requestId();
    Counter ip = throttle.ip(attempt.clientIp());
    return throttle.reserve(ip, rid)
      .recover(err -> locked(err, attempt, null, "ip_locked").transform(x -> Future.<Void>failedFuture(err)))
      .compose(v -> challenges.use(attempt.challengeId()).recover(err -> giveBack(err, ip)))
      .compose(stored -> {
        if (stored.isEmpty()) {
          return refused(attempt, ip, null, "unknown_challenge");
        }
        String challenge = challengeOf(attempt.credential());
        if (challenge == null || !MessageDigest.isEqual(stored.get(), PasskeyChallenges.hash(challenge))) {
          return refused(attempt, ip, null, "challenge_mismatch");
        }
        return users.checkPasskey(new PasskeyCheck(challenge, attempt.credential()), rid)
          .recover(err -> giveBack(unavailable(), ip))
          .compose(answer -> switch (answer.result()) {
            case ACCEPTED -> accepted(answer, attempt, ip);
            case REJECTED -> refused(attempt, ip, answer.userId(), answer.reason());
          });
      });
  }

  /**
   * The challenge inside the assertion's {@code response.clientDataJSON} (base64url of the JSON
   * the browser signed over); null when there is none to read. The user service checks it again,
   * with the signature: this only binds the assertion to the challenge this request used up.
   */
  static String challengeOf(JsonObject credential) {
    try {
      JsonObject response = credential.getJsonObject("response");
      String clientData = response == null ? null : response.getString("clientDataJSON");
      if (clientData == null) {
        return null;
      }
      JsonObject collected = new JsonObject(new String(Base64.getUrlDecoder().decode(clientData), StandardCharsets.UTF_8));
      return collected.getString("challenge");
    } catch (RuntimeException e) {
      // not base64url, not JSON, or a field of another type: no challenge to compare
      return null;
    }
  }

  private Future<TokenPair> accepted(PasskeyCheck.Answer answer, Attempt attempt, Counter ip) {
    String rid = attempt.requestId();
    Credentials user = answer.credentials();
    Counter account = throttle.user(user.userId());
    return throttle.reserve(account, rid)
      .recover(err -> locked(err, attempt, user.userId(), "account_locked").transform(x -> giveBack(err, ip)))
      .compose(v -> {
        if (user.disabled()) {
          LOG.info("[{}] passkey login of user {} refused: account disabled", rid, user.userId());
          ApiException refused = Sessions.accountDisabled();
          return audit.record(AuditEvent.now(AuditType.LOGIN_FAILED, user.userId(), null, null, attempt.clientIp(),
              attempt.userAgent(), rid, refused.code()))
            .transform(x -> throttle.release(account))
            .transform(x -> giveBack(refused, ip));
        }
        String reason = answer.passkeyId() == null ? "passkey" : "passkey:" + answer.passkeyId();
        return throttle.reset(account)
          .compose(x -> throttle.release(ip))
          .compose(x -> sessions.open(user, AccessClaims.PASSKEY, AuditType.PASSKEY_LOGIN, reason, attempt.userAgent(),
            attempt.clientIp(), rid))
          .onSuccess(pair -> LOG.info("[{}] passkey login of user {} succeeded (passkey {}): session {}", rid, user.userId(),
            answer.passkeyId(), pair.sessionId()));
      });
  }

  /** A failed passkey login: counted on the IP (and on the account when the credential is known), audited, 401. */
  private Future<TokenPair> refused(Attempt attempt, Counter ip, String userId, String reason) {
    String rid = attempt.requestId();
    LOG.info("[{}] passkey login refused ({}){}", rid, reason, userId == null ? "" : " for user " + userId);
    Future<Void> counted = throttle.failed(ip, rid);
    if (userId != null) {
      // the account's attempt was not reserved before the user was known: reserve it now so that it counts
      Counter account = throttle.user(userId);
      counted = counted.compose(v -> throttle.reserve(account, rid).transform(x -> throttle.failed(account, rid)));
    }
    AuditEvent event = AuditEvent.now(AuditType.PASSKEY_LOGIN, userId, null, null, attempt.clientIp(), attempt.userAgent(), rid,
      reason == null ? "rejected" : reason);
    AuditEvent failure = new AuditEvent(event.id(), event.time(), event.type(), event.userId(), event.sessionId(), event.actor(),
      event.ip(), event.userAgent(), event.requestId(), AuditType.Outcome.FAILURE, event.reason());
    return counted
      .transform(x -> audit.record(failure))
      .transform(x -> Future.failedFuture(invalidCredentials()));
  }

  private <T> Future<T> giveBack(Throwable failure, Counter ip) {
    return throttle.release(ip).transform(x -> Future.failedFuture(failure));
  }

  /** A 429 from the throttle: one login.locked event; other failures write nothing. */
  private Future<Void> locked(Throwable err, Attempt attempt, String userId, String reason) {
    if (!(err instanceof ApiException refused) || refused.status() != 429) {
      return Future.succeededFuture();
    }
    return audit.record(AuditEvent.now(AuditType.LOGIN_LOCKED, userId, null, null, attempt.clientIp(), attempt.userAgent(),
      attempt.requestId(), reason));
  }

  static ApiException invalidCredentials() {
    return new ApiException(401, ErrorCodes.INVALID_CREDENTIALS, "The passkey could not be verified; ask for new options and try again.");
  }

  static ApiException unavailable() {
    return ApiException.unavailable(ErrorCodes.USER_SERVICE_UNAVAILABLE,
      "The user service cannot be reached to verify the passkey; the challenge is used up: ask for new options and try again shortly.");
  }
}
