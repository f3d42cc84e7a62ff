package io.latchkey.user.auth;

import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.ErrorCodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Asks the auth service over the event bus ({@code BusAddresses.AUTH_VALIDATE}) on every call,
 * so a revoked session is refused as soon as the auth service knows. The auth service not
 * answering, or answering something unusable, is {@code 503 auth_service_unavailable}.
 */
public final class BusTokenVerifier implements TokenVerifier {

  private static final Logger LOG = LoggerFactory.getLogger(BusTokenVerifier.class);

  private final BusClient authBus;

  public BusTokenVerifier(BusClient authBus) {
    this.authBus = authBus;
  }

  @Override
  public Future<Caller> verify(String token, String requestId) {
    return authBus.request(BusAddresses.AUTH_VALIDATE, new JsonObject().put("token", token), requestId)
      .recover(err -> Future.failedFuture(unavailable(err, requestId)))
      .compose(reply -> toCaller(reply, requestId));
  }

  private ApiException unavailable(Throwable err, String requestId) {
    if (err instanceof ApiException api && ErrorCodes.AUTH_SERVICE_UNAVAILABLE.equals(api.code())) {
      LOG.warn("[{}] token validation: auth service unavailable", requestId);
      return api;
    }
    // any other failure (for example the auth service refusing our key) must not turn into a 401
    LOG.error("[{}] token validation failed unexpectedly: {}", requestId, err.toString());
    return ApiException.unavailable(ErrorCodes.AUTH_SERVICE_UNAVAILABLE, "The auth service could not validate the token; try again shortly.");
  }

  private static Future<Caller> toCaller(JsonObject reply, String requestId) {
    if (reply == null || !Boolean.TRUE.equals(reply.getValue("valid"))) {
      String reason = reply == null ? null : reply.getString("reason");
      LOG.info("[{}] bearer token refused: {}", requestId, reason == null ? "invalid" : reason);
      return Future.failedFuture(ApiException.invalidToken("The access token is not valid" + (reason == null ? "." : " (" + reason + ").")));
    }
    try {
      UUID userId = UUID.fromString(reply.getString("userId"));
      JsonArray rolesJson = reply.getJsonArray("roles", new JsonArray());
      List<String> roles = new ArrayList<>();
      rolesJson.forEach(r -> roles.add(String.valueOf(r)));
      return Future.succeededFuture(new Caller(userId, reply.getString("sessionId"), reply.getString("username"),
        List.copyOf(roles), false, null));
    } catch (RuntimeException e) {
      LOG.error("[{}] the auth service answered a token validation without a usable user id", requestId);
      return Future.failedFuture(ApiException.unavailable(ErrorCodes.AUTH_SERVICE_UNAVAILABLE,
        "The auth service gave an unusable answer; try again shortly."));
    }
  }
}
