package io.latchkey.auth.http;

import io.latchkey.auth.session.SessionRepository;
import io.latchkey.auth.session.SessionService;
import io.latchkey.auth.token.AccessClaims;
import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** HTTP of the caller's own user and sessions: me, the session list, deleting one session. */
public final class SessionRoutes {

  private final SessionService sessions;
  private final AccessGuard guard;
  private final BusClient userService;

  public SessionRoutes(SessionService sessions, AccessGuard guard, BusClient userService) {
    this.sessions = sessions;
    this.guard = guard;
    this.userService = userService;
  }

  public void mount(Router router) {
    router.get("/auth/me").handler(this::me);
    router.get("/auth/sessions").handler(this::list);
    router.delete("/auth/sessions/:id").handler(this::delete);
  }

  private void me(RoutingContext ctx) {
    guard.requireBearer(ctx)
      .compose(claims -> userOf(claims, RequestIds.of(ctx)))
      .onSuccess(user -> Responses.json(ctx, 200, user))
      .onFailure(ctx::fail);
  }

  private Future<JsonObject> userOf(AccessClaims claims, String requestId) {
    return userService.request(BusAddresses.USER_GET, new JsonObject().put("userId", claims.userId()), requestId)
      .map(user -> user.copy().put("sessionId", claims.sessionId()))
      .recover(err -> {
        if (err instanceof ApiException api && api.status() == 404) {
          // a valid token of a user who no longer exists: the client must log in again
          return Future.failedFuture(ApiException.invalidToken("The user of this token no longer exists."));
        }
        return Future.failedFuture(err);
      });
  }

  private void list(RoutingContext ctx) {
    guard.requireBearer(ctx)
      .compose(claims -> sessions.listActive(claims.userId()).map(rows -> toJson(rows, claims.sessionId())))
      .onSuccess(body -> Responses.json(ctx, 200, body))
      .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    guard.requireBearer(ctx)
      .compose(claims -> sessions.revokeOwnSession(ctx.pathParam("id"), claims.userId(), RequestIds.of(ctx)))
      .onSuccess(v -> Responses.noContent(ctx))
      .onFailure(ctx::fail);
  }

  private static JsonObject toJson(List<SessionRepository.SessionView> rows, String currentSessionId) {
    JsonArray items = new JsonArray();
    for (SessionRepository.SessionView row : rows) {
      items.add(new JsonObject()
        .put("id", row.id())
        .put("createdAt", iso(row.createdAt()))
        .put("lastUsedAt", iso(row.lastUsedAt()))
        .put("expiresAt", iso(row.expiresAt()))
        .put("userAgent", row.userAgent())
        .put("ip", row.ip())
        .put("current", row.id().equals(currentSessionId)));
    }
    return new JsonObject().put("items", items);
  }

  private static String iso(OffsetDateTime time) {
    return time == null ? null : time.toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
