package io.latchkey.auth.http;

import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.common.ApiException;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.Uuids;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /health/cache} (anyone) and the admin view of the password cache:
 * {@code GET /admin/password-cache}, {@code DELETE /admin/password-cache/{userId}},
 * {@code POST /admin/password-cache/sync}. No response ever contains a hash.
 */
public final class PasswordCacheRoutes {

  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;
  /** Entries re-read from the user service at once by a full refresh. */
  private static final int REFRESH_PARALLELISM = 4;

  private final PasswordCache cache;
  private final SyncService sync;
  private final RequestGuard guard;

  public PasswordCacheRoutes(PasswordCache cache, SyncService sync, RequestGuard guard) {
    this.cache = cache;
    this.sync = sync;
    this.guard = guard;
  }

  public void mount(Router router) {
    router.get("/health/cache").handler(Replies.handle(ctx -> cache.size()
      .map(size -> Replies.json(ctx, 200, cache.counters().toJson(size)))));
    router.get("/admin/password-cache").handler(Replies.handle(ctx -> guard.requireAdmin(ctx)
      .compose(v -> list(ctx))
      .map(body -> Replies.json(ctx, 200, body))));
    router.delete("/admin/password-cache/:userId").handler(Replies.handle(ctx -> guard.requireAdmin(ctx)
      .compose(v -> {
        UUID userId = Uuids.fromPath(ctx, "userId");
        return userId == null ? Future.succeededFuture(false) : cache.evict(userId.toString());
      })
      .compose(found -> found ? Future.succeededFuture(Replies.noContent(ctx)) : Future.failedFuture(notCached()))));
    router.post("/admin/password-cache/sync").handler(Replies.handle(ctx -> guard.requireAdmin(ctx)
      .compose(v -> refresh(ctx))
      .map(n -> Replies.json(ctx, 200, new JsonObject().put("refreshed", n)))));
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    int limit = limit(ctx.queryParam("limit"));
    String after = cursor(ctx.queryParam("cursor"));
    return cache.list(after, limit).map(page -> {
      JsonArray items = new JsonArray();
      page.items().forEach(item -> items.add(item.toAdminJson()));
      return new JsonObject()
        .put("size", page.size())
        .put("items", items)
        .put("nextCursor", page.nextCursor() == null ? null : encodeCursor(page.nextCursor()));
    });
  }

  private Future<Integer> refresh(RoutingContext ctx) {
    JsonObject body = JsonBodies.objectOrEmpty(ctx);
    JsonBodies.onlyFields(body, Set.of("userId"));
    String rid = RequestIds.of(ctx);
    if (body.getValue("userId") != null) {
      String userId = JsonBodies.requiredUserId(body, "userId");
      return sync.refreshForAdmin(userId, rid).map(done -> done ? 1 : 0);
    }
    return cache.userIds().compose(ids -> refreshAll(ids, 0, 0, rid));
  }

  /** Refreshes the ids from {@code from} on, a few at a time; fails (503) as soon as the user service cannot answer. */
  private Future<Integer> refreshAll(List<String> ids, int from, int refreshed, String rid) {
    if (from >= ids.size()) {
      return Future.succeededFuture(refreshed);
    }
    List<String> batch = ids.subList(from, Math.min(ids.size(), from + REFRESH_PARALLELISM));
    List<Future<Boolean>> results = batch.stream().map(id -> sync.refreshForAdmin(id, rid)).toList();
    return Future.all(results).compose(all -> {
      int done = refreshed;
      for (Future<Boolean> r : results) {
        done += r.result() ? 1 : 0;
      }
      return refreshAll(ids, from + batch.size(), done, rid);
    });
  }

  private static int limit(List<String> values) {
    if (values.isEmpty()) {
      return DEFAULT_LIMIT;
    }
    try {
      int limit = Integer.parseInt(values.get(0));
      if (values.size() == 1 && limit >= 1 && limit <= MAX_LIMIT) {
        return limit;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiException.validation("limit", "Must be a whole number from 1 to " + MAX_LIMIT + ".");
  }

  private static String cursor(List<String> values) {
    if (values.isEmpty() || values.get(0).isEmpty()) {
      return null;
    }
    try {
      String userId = new String(Base64.getUrlDecoder().decode(values.get(0)), StandardCharsets.UTF_8);
      if (values.size() == 1 && Uuids.isUuid(userId)) {
        return userId;
      }
    } catch (IllegalArgumentException ignored) {
      // reported below
    }
    throw ApiException.validation("cursor", "Not a cursor this endpoint returned.");
  }

  private static String encodeCursor(String userId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(userId.getBytes(StandardCharsets.UTF_8));
  }

  private static ApiException notCached() {
    return ApiException.notFound("cache_entry_not_found", "This user has no entry in the password cache.");
  }
}
