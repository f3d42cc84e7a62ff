package io.latchkey.auth.http;

import io.latchkey.auth.sync.SyncCommand;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.common.ApiException;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.RequestFields;
import io.latchkey.common.RequestIds;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.function.Function;

/** {@code POST /auth/sync/password | user-deleted | user-updated}: full X-API-Key, 204 once applied. */
public final class SyncRoutes {

  private final SyncService sync;
  private final RequestGuard guard;

  public SyncRoutes(SyncService sync, RequestGuard guard) {
    this.sync = sync;
    this.guard = guard;
  }

  public void mount(Router router) {
    router.post("/auth/sync/password").handler(ctx -> handle(ctx, body -> {
      JsonBodies.onlyFields(body, Set.of("userId", "passwordVersion", "keepSessionId"));
      String userId = RequestFields.requiredUserId(body, "userId");
      long version = RequestFields.requiredLong(body, "passwordVersion", 1);
      String keep = JsonBodies.string(body, "keepSessionId");
      if (keep != null && !RequestFields.isUuid(keep)) {
        throw ApiException.validation("keepSessionId", "Must be a session id (UUID) or absent.");
      }
      return SyncCommand.password(userId, version, keep == null ? null : RequestFields.canonicalUuid(keep));
    }));
    router.post("/auth/sync/user-deleted").handler(ctx -> handle(ctx, body -> {
      JsonBodies.onlyFields(body, Set.of("userId"));
      return SyncCommand.deleted(RequestFields.requiredUserId(body, "userId"));
    }));
    router.post("/auth/sync/user-updated").handler(ctx -> handle(ctx, body -> {
      JsonBodies.onlyFields(body, Set.of("userId"));
      return SyncCommand.updated(RequestFields.requiredUserId(body, "userId"));
    }));
  }

  private void handle(RoutingContext ctx, Function<JsonObject, SyncCommand> parse) {
    guard.requireFullKey(ctx)
      .compose(v -> {
        SyncCommand command = parse.apply(JsonBodies.object(ctx));
        return sync.apply(command, RequestIds.of(ctx));
      })
      .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
      .onFailure(ctx::fail);
  }
}
