package io.latchkey.auth.users;

import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Credentials from the user service over the event bus ({@link BusAddresses#USER_CREDENTIALS}),
 * with the three answers login and sync need: found, no such user, or the user service cannot
 * answer now (not reachable, timed out, or failing itself).
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

  public UserDirectory(BusClient userService) {
    this.userService = userService;
  }

  public Future<Lookup> byLogin(String login, String requestId) {
    return ask(new JsonObject().put("login", login), requestId);
  }

  public Future<Lookup> byUserId(String userId, String requestId) {
    return ask(new JsonObject().put("userId", userId), requestId);
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
