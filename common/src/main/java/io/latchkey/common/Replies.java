package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/**
 * The route-handler idiom of both services: a handler is a function from the request to a
 * future that completes once the response is written ({@link #json}, {@link #noContent}); a
 * failure, thrown or returned, goes to the router's {@link ProblemHandler}.
 */
public final class Replies {

  private Replies() {
  }

  /** Wraps an action: whatever it throws or fails with becomes the request's failure (a problem document). */
  public static Handler<RoutingContext> handle(Function<RoutingContext, Future<?>> action) {
    return ctx -> {
      Future<?> result;
      try {
        result = action.apply(ctx);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onFailure(err -> {
        if (!ctx.response().ended()) {
          ctx.fail(err);
        }
      });
    };
  }

  /** JSON that may carry tokens or personal data: never cached. */
  public static Void json(RoutingContext ctx, int status, JsonObject body) {
    return json(ctx, status, body.encode());
  }

  /** The same, for a body already encoded as JSON text. */
  public static Void json(RoutingContext ctx, int status, String encoded) {
    ctx.response().setStatusCode(status)
      .putHeader("Content-Type", "application/json")
      .putHeader("Cache-Control", "no-store")
      .putHeader("Pragma", "no-cache")
      .end(encoded);
    return null;
  }

  /** A public document that every client may cache for five minutes (JWKS, OpenAPI). */
  public static Void publicJson(RoutingContext ctx, String body) {
    ctx.response().putHeader("Content-Type", "application/json")
      .putHeader("Cache-Control", "public, max-age=300")
      .end(body);
    return null;
  }

  public static Void noContent(RoutingContext ctx) {
    ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end();
    return null;
  }
}
