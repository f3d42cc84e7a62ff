package io.latchkey.auth.http;

import io.latchkey.auth.sync.SyncCommand;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.vertx.core.Future;
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
    router.post("/auth/sync/password").handler(Replies.handle(ctx -> apply(ctx, body -> {
      JsonBodies.onlyFields(body, Set.of("userId", "passwordVersion", "keepSessionId"));
      String userId = JsonBodies.requiredUserId(body, "userId");
      long version = JsonBodies.requiredLong(body, "passwordVersion", 1);
      String keep = JsonBodies.optionalUuid(body, "keepSessionId", "Must be a session id (UUID) or absent.");
      return SyncCommand.password(userId, version, keep);
    })));
    router.post("/auth/sync/user-deleted").handler(Replies.handle(ctx -> apply(ctx, body -> {
      JsonBodies.onlyFields(body, Set.of("userId"));
      return SyncCommand.deleted(JsonBodies.requiredUserId(body, "userId"));
    })));
    router.post("/auth/sync/user-updated").handler(Replies.handle(ctx -> apply(ctx, body -> {
      JsonBodies.onlyFields(body, Set.of("userId"));
      return SyncCommand.updated(JsonBodies.requiredUserId(body, "userId"));
    })));
  }

  private Future<Void> apply(RoutingContext ctx, Function<JsonObject, SyncCommand> parse) {
    return guard.requireFullKey(ctx)
      .compose(v -> sync.apply(parse.apply(JsonBodies.object(ctx)), RequestIds.of(ctx)))
      .map(v -> Replies.noContent(ctx));
  }
}
