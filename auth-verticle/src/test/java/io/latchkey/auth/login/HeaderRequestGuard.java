package io.latchkey.auth.login;

import io.latchkey.auth.http.RequestGuard;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * Test double of {@link RequestGuard}: a full X-API-Key as the real guard checks it; instead
 * of access tokens, the fixed bearer values {@link #ADMIN_TOKEN} and {@link #USER_TOKEN}.
 */
public final class HeaderRequestGuard implements RequestGuard {

  public static final String ADMIN_TOKEN = "test-admin-token";
  public static final String USER_TOKEN = "test-user-token";

  private final ApiKeys keys;

  public HeaderRequestGuard(ApiKeys keys) {
    this.keys = keys;
  }

  @Override
  public Future<Void> requireAdmin(RoutingContext ctx) {
    String key = ctx.request().getHeader("X-API-Key");
    if (key != null) {
      return keys.isFull(key) ? Future.succeededFuture() : Future.failedFuture(ApiException.invalidApiKey());
    }
    String authorization = ctx.request().getHeader("Authorization");
    if (("Bearer " + ADMIN_TOKEN).equals(authorization)) {
      return Future.succeededFuture();
    }
    if (("Bearer " + USER_TOKEN).equals(authorization)) {
      return Future.failedFuture(ApiException.forbidden("Admins only."));
    }
    return Future.failedFuture(ApiException.invalidToken("A valid access token is required."));
  }

  @Override
  public Future<Void> requireFullKey(RoutingContext ctx) {
    return keys.isFull(ctx.request().getHeader("X-API-Key")) ? Future.succeededFuture() : Future.failedFuture(ApiException.invalidApiKey());
  }
}
