package io.latchkey.auth.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writing successful responses; failures go through the router's ProblemHandler. */
final class Responses {

  private Responses() {
  }

  /** JSON that carries tokens or personal data: never cached. */
  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status)
      .putHeader("Content-Type", "application/json")
      .putHeader("Cache-Control", "no-store")
      .putHeader("Pragma", "no-cache")
      .end(body.encode());
  }

  static void noContent(RoutingContext ctx) {
    ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end();
  }
}
