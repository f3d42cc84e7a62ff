package io.latchkey.common.audit;

import io.latchkey.common.AdminQueries;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
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
 * the parameters are read. The listing runs as an admin query ({@link AdminQueries}): one that
 * runs past ADMIN_QUERY_TIMEOUT_MS answers 503 {@code query_timeout}.
 */
public final class AuditRoutes {

  public static final String PATH = "/admin/audit-events";

  private final AuditTrail trail;
  private final AdminQueries admin;
  private final Function<RoutingContext, Future<?>> requireAdmin;

  public AuditRoutes(AuditTrail trail, AdminQueries admin, Function<RoutingContext, Future<?>> requireAdmin) {
    this.trail = trail;
    this.admin = admin;
    this.requireAdmin = requireAdmin;
  }

  public void mount(Router router) {
    router.get(PATH).handler(Replies.handle(ctx -> requireAdmin.apply(ctx)
      .map(v -> AuditQuery.parse(ctx.queryParams()))
      .compose(query -> admin.run("audit listing", RequestIds.of(ctx), client -> trail.list(client, query)))
      .map(page -> {
        JsonArray items = new JsonArray();
        page.items().forEach(event -> items.add(event.toJson()));
        return Replies.json(ctx, 200, new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
      })));
  }
}
