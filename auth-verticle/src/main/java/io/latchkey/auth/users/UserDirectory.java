package io.latchkey.auth.users;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
      .recover(err -> err instanceof ApiException api && api.status() == 404
        ? Future.succeededFuture(null)
        : Future.failedFuture(err));
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
      .recover(failure -> {
        if (failure instanceof ApiException api && (api.status() == 404 || api.status() == 400)) {
          // 400: no user can have such a login
          return Future.succeededFuture(Lookup.NOT_FOUND);
        }
        if (failure instanceof ApiException api && api.status() == 401) {
          LOG.error("[{}] the user service refused this node's API key (check API_KEY / API_KEYS on both services)", requestId);
        } else if (!userService.isUnavailable(failure)) {
          LOG.warn("[{}] the user service could not answer a credentials request: {}", requestId, failure.toString());
        }
        return Future.succeededFuture(Lookup.UNAVAILABLE);
      });
  }
}
