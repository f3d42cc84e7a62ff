package io.latchkey.common.audit;

import io.latchkey.common.Replies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/**
 * {@code GET /admin/audit-events} on either service: its own events, newest first,
 * {@code {"items": [...], "nextCursor"}}. Who is admin is the service's own rule
 * ({@code requireAdmin}: a full key or an admin's access token, else 401 / 403), checked before
 * the parameters are read.
 */
public final class AuditRoutes {

  public static final String PATH = "/admin/audit-events";

  private final AuditTrail trail;
  private final Function<RoutingContext, Future<?>> requireAdmin;

  public AuditRoutes(AuditTrail trail, Function<RoutingContext, Future<?>> requireAdmin) {
    this.trail = trail;
    this.requireAdmin = requireAdmin;
  }

  public void mount(Router router) {
    router.get(PATH).handler(Replies.handle(ctx -> requireAdmin.apply(ctx)
      .compose(v -> trail.list(AuditQuery.parse(ctx.queryParams())))
      .map(page -> {
        JsonArray items = new JsonArray();
        page.items().forEach(event -> items.add(event.toJson()));
        return Replies.json(ctx, 200, new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
      })));
  }
}
