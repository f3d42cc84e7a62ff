package io.latchkey.auth.http;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/** Who may call: the "who may call" checks of openapi/auth-service.json, in one place. */
public interface RequestGuard {

  /** A full X-API-Key, or a valid access token whose roles contain admin. Fails with ApiException 401/403. */
  Future<Void> requireAdmin(RoutingContext ctx);

  /** A full X-API-Key (sync endpoints). Fails with ApiException 401 invalid_api_key. */
  Future<Void> requireFullKey(RoutingContext ctx);
}
