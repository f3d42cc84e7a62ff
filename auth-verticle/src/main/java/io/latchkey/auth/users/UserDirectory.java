package io.latchkey.auth.users;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.PasskeyCheck;
import io.latchkey.common.bus.PasswordRehash;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The auth service's one client of the user service: every event-bus request to it goes
 * through here, with its addresses, timeout and error mapping. Credentials
 * ({@link BusAddresses#USER_CREDENTIALS}) come with the three answers login, sync and sessions
 * need: found, no such user, or the user service cannot answer now (not reachable, timed out, or
 * failing itself).
 */
public final class UserDirectory {

  private static final Logger LOG = LoggerFactory.getLogger(UserDirectory.class);

  public enum Status { FOUND, NOT_FOUND, UNAVAILABLE }

  public record Lookup(Status status, Credentials credentials) {
    static final Lookup NOT_FOUND = new Lookup(Status.NOT_FOUND, null);
    static final Lookup UNAVAILABLE = new Lookup(Status.UNAVAILABLE, null);

    public boolean found() {
      return status == Status.FOUND;
    }
  }

  private final BusClient userService;

  public UserDirectory(EventBus bus, ApiKeys keys, long timeoutMs) {
    this.userService = new BusClient(bus, keys, timeoutMs, ErrorCodes.USER_SERVICE_UNAVAILABLE, "user service");
  }

  public Future<Lookup> byLogin(String login, String requestId) {
    return ask(new JsonObject().put("login", login), requestId);
  }

  public Future<Lookup> byUserId(String userId, String requestId) {
    return ask(new JsonObject().put("userId", userId), requestId);
  }

  /**
   * The user as the user service shows it ({@code GET /users/{id}}), or null when there is no such
   * user; fails with 503 user_service_unavailable when the user service cannot answer.
   */
  public Future<JsonObject> profile(String userId, String requestId) {
    return userService.request(BusAddresses.USER_GET, new JsonObject().put("userId", userId), requestId)
      .recover(err -> lookupFailed(err, requestId).status() == Status.NOT_FOUND
        ? Future.succeededFuture(null)
        : Future.failedFuture(err instanceof ApiException api && api.status() == 503 ? api : unavailable()));
  }

  /**
   * Asks the user service to check a second-factor code ({@link BusAddresses#USER_MFA_CHECK}),
   * signed and verified like every request here. Fails with 503 user_service_unavailable when it
   * cannot answer (not reachable, timed out, failing, or an answer this service cannot read): the
   * caller then decides nothing. A 4xx refusal is the user service's considered answer that the
   * check cannot succeed (no such user): {@link MfaCheck.Result#STALE}, except 401 and 429, which
   * are about this node or the moment, not the login (as for credentials).
   */
  public Future<MfaCheck.Answer> checkMfa(MfaCheck check, String requestId) {
    return check(BusAddresses.USER_MFA_CHECK, check.toJson(), MfaCheck.Answer::fromJson,
      answer -> answer.credentials() == null || check.userId().equals(answer.credentials().userId()),
      MfaCheck.Answer.stale(), "an MFA", requestId);
  }

  /**
   * Asks the user service to verify a passkey assertion ({@link BusAddresses#USER_PASSKEY_CHECK}),
   * signed and verified like every request here. Fails with 503 user_service_unavailable when it
   * cannot answer (as {@link #checkMfa}). A 4xx refusal other than 401 and 429 is its considered
   * answer that the assertion cannot be accepted: {@link PasskeyCheck.Result#REJECTED}, about no
   * known user, so whatever a client sends is the same 401 as any failed passkey login. An accepted
   * answer whose credentials name another user than its {@code userId} is not believed (503).
   */
  public Future<PasskeyCheck.Answer> checkPasskey(PasskeyCheck check, String requestId) {
    return check(BusAddresses.USER_PASSKEY_CHECK, check.toJson(), PasskeyCheck.Answer::fromJson,
      answer -> answer.credentials() == null || answer.credentials().userId().equals(answer.userId()),
      PasskeyCheck.Answer.rejected(null, "refused_by_user_service"), "a passkey", requestId);
  }

  /**
   * Asks the user service to store the bcrypt upgrade of the hash a login was just checked against
   * ({@link BusAddresses#USER_PASSWORD_REHASH}), signed and verified like every request here. Fails
   * with 503 user_service_unavailable when it cannot answer; a 4xx refusal other than 401 and 429 is
   * {@link PasswordRehash.Result#STALE}. An installed answer naming another user is not believed (503).
   */
  public Future<PasswordRehash.Answer> rehash(PasswordRehash request, String requestId) {
    return check(BusAddresses.USER_PASSWORD_REHASH, request.toJson(), PasswordRehash.Answer::fromJson,
      answer -> answer.credentials() == null || request.userId().equals(answer.credentials().userId()),
      PasswordRehash.Answer.stale(), "a password rehash", requestId);
  }

  /**
   * One check the user service decides ({@link #checkMfa}, {@link #checkPasskey}): its answer read
   * by {@code read} and believed only when {@code consistent}, else (or unreadable, or no answer)
   * 503; a 4xx refusal that is about the request, not this node or the moment, is {@code refused}.
   */
  private <A> Future<A> check(String address, JsonObject request, Function<JsonObject, A> read, Predicate<A> consistent,
                              A refused, String what, String requestId) {
    return userService.request(address, request, requestId)
      .compose(body -> {
        try {
          A answer = read.apply(body);
          if (!consistent.test(answer)) {
            LOG.error("[{}] the user service accepted {} check with the credentials of another user", requestId, what);
            return Future.failedFuture(unavailable());
          }
          return Future.succeededFuture(answer);
        } catch (RuntimeException e) {
          LOG.error("[{}] the user service sent {} answer this service cannot read: {}", requestId, what, e.toString());
          return Future.failedFuture(unavailable());
        }
      }, failure -> lookupFailed(failure, requestId).status() == Status.NOT_FOUND
        ? Future.succeededFuture(refused)
        : Future.failedFuture(unavailable()));
  }

  /** The failure to answer with when the user service cannot be asked. */
  public static ApiException unavailable() {
    return ApiException.unavailable(ErrorCodes.USER_SERVICE_UNAVAILABLE, "The user service cannot be reached; try again shortly.");
  }

  private Future<Lookup> ask(JsonObject query, String requestId) {
    return userService.request(BusAddresses.USER_CREDENTIALS, query, requestId)
      .map(body -> {
        try {
          return new Lookup(Status.FOUND, Credentials.fromJson(body));
        } catch (RuntimeException e) {
          LOG.error("[{}] the user service sent credentials this service cannot read: {}", requestId, e.toString());
          return Lookup.UNAVAILABLE;
        }
      })
      .recover(failure -> Future.succeededFuture(lookupFailed(failure, requestId)));
  }

  /**
   * What a failed credentials request means. Only "cannot answer now" is UNAVAILABLE (503 to the
   * client, the attempt not counted): the user service unreachable, timed out, overloaded or
   * failing (5xx). A 4xx is the user service's considered answer about this request, never an
   * outage: 404 and 400 (no user can have such a login) are NOT_FOUND, and so is any other 4xx
   * (a contract mismatch between the services, logged as an error), so the login is counted and
   * answered 401 like any unknown login, after the same bcrypt work. Answering 503 there would
   * let a client who can provoke that 4xx make attempts that are never counted.
   */
  static Lookup lookupFailed(Throwable failure, String requestId) {
    if (failure instanceof ApiException api && api.status() >= 400 && api.status() < 500) {
      if (api.status() == 401) {
        // the user service refused this node's own internal key: a misconfiguration of the
        // deployment, not something the client did. No login can be decided until it is fixed,
        // so it stays 503 (the attempt is not held against the account) and is logged as an error.
        LOG.error("[{}] the user service refused this node's API key (check API_KEY / API_KEYS on both services)", requestId);
        return Lookup.UNAVAILABLE;
      }
      if (api.status() == 429) {
        // "not now": a transient refusal, the same as an overload
        LOG.warn("[{}] the user service asked to slow down: {}", requestId, api.code());
        return Lookup.UNAVAILABLE;
      }
      if (api.status() != 404 && api.status() != 400) {
        LOG.error("[{}] the user service refused a credentials request with {} {}; answered as no such user",
          requestId, api.status(), api.code());
      }
      return Lookup.NOT_FOUND;
    }
    if (!(failure instanceof ApiException api && api.status() == 503)) {
      LOG.warn("[{}] the user service could not answer a credentials request: {}", requestId, failure.toString());
    }
    return Lookup.UNAVAILABLE;
  }
}
