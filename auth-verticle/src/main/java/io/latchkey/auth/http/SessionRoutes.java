package io.latchkey.auth.http;

import io.latchkey.auth.session.SessionRepository;
import io.latchkey.auth.session.SessionService;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiException;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TrustedProxies;
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
  private final UserDirectory users;
  private final TrustedProxies proxies;

  public SessionRoutes(SessionService sessions, AccessGuard guard, UserDirectory users, TrustedProxies proxies) {
    this.proxies = proxies;
    this.sessions = sessions;
    this.guard = guard;
    this.users = users;
  }

  public void mount(Router router) {
    router.get("/auth/me").handler(Replies.handle(this::me));
    router.get("/auth/sessions").handler(Replies.handle(this::list));
    router.delete("/auth/sessions/:id").handler(Replies.handle(this::delete));
  }

  private Future<Void> me(RoutingContext ctx) {
    return guard.requireBearer(ctx)
      .compose(claims -> users.profile(claims.userId(), RequestIds.of(ctx)).compose(user -> user == null
        // a valid token of a user who no longer exists: the client must log in again
        ? Future.failedFuture(ApiException.invalidToken("The user of this token no longer exists."))
        : Future.succeededFuture(user.copy().put("sessionId", claims.sessionId()))))
      .map(user -> Replies.json(ctx, 200, user));
  }

  private Future<Void> list(RoutingContext ctx) {
    return guard.requireBearer(ctx)
      .compose(claims -> sessions.listActive(claims.userId()).map(rows -> toJson(rows, claims.sessionId())))
      .map(body -> Replies.json(ctx, 200, body));
  }

  private Future<Void> delete(RoutingContext ctx) {
    return guard.requireBearer(ctx)
      .compose(claims -> sessions.revokeOwnSession(ctx.pathParam("id"), claims.userId(), Audits.of(ctx, proxies, claims)))
      .map(v -> Replies.noContent(ctx));
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
        .put("amr", new JsonArray(row.amr()))
        .put("current", row.id().equals(currentSessionId)));
    }
    return new JsonObject().put("items", items);
  }

  private static String iso(OffsetDateTime time) {
    return time == null ? null : time.toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
