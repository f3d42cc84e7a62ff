package io.latchkey.common;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/** The HTTP settings both services share: body and header limits, request ids, problems. */
public final class HttpServers {

  public static final long MAX_BODY_BYTES = 64 * 1024;
  public static final int MAX_HEADER_BYTES = 16 * 1024;
  /** How long a stopping server lets in-flight requests finish before it closes their connections. */
  public static final long SHUTDOWN_GRACE_SECONDS = 10;

  private HttpServers() {
  }

  public static HttpServerOptions options(String host, int port) {
    return new HttpServerOptions()
      .setHost(host)
      .setPort(port)
      .setMaxHeaderSize(MAX_HEADER_BYTES)
      // a form body (introspect, revoke) is decoded by Netty before any route sees it; its default
      // limit of 8 KiB per value failed a longer value with an IOException (a 503 "database
      // unavailable") instead of letting the route answer: the body limit bounds a value instead
      .setMaxFormAttributeSize((int) MAX_BODY_BYTES)
      .setCompressionSupported(false)
      // no WebSockets are served: without these Netty's WebSocket extension handler sits in every
      // connection's pipeline and looks at every request and response (~2 % of a validate-token)
      .setPerFrameWebSocketCompressionSupported(false)
      .setPerMessageWebSocketCompressionSupported(false)
      .setIdleTimeout(60);
  }

  /**
   * Stops a server gracefully: no new requests, in-flight ones may finish (Vert.x 5's
   * {@code close()} would cut them off at once).
   */
  public static io.vertx.core.Future<Void> shutdown(io.vertx.core.http.HttpServer server) {
    return server == null ? io.vertx.core.Future.succeededFuture()
      : server.shutdown(SHUTDOWN_GRACE_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
  }

  /**
   * A server for {@code router}: the options above, and requests the HTTP codec cannot read
   * answered with a problem document too (Vert.x core answers them with an empty body).
   */
  public static io.vertx.core.http.HttpServer server(io.vertx.core.Vertx vertx, String host, int port, Router router) {
    return vertx.createHttpServer(options(host, port))
      .requestHandler(router)
      .invalidRequestHandler(ProblemHandler::writeInvalid);
  }

  /** A router with request ids, a 64 KiB body limit and the problem handler installed. */
  public static Router baseRouter(io.vertx.core.Vertx vertx) {
    return baseRouter(vertx, null);
  }

  /**
   * As {@link #baseRouter(io.vertx.core.Vertx)}, with {@code beforeBody} (when not null) between
   * the request id and the body: a CORS handler there refuses an origin before reading its body,
   * and its headers are on every later answer, errors included.
   */
  public static Router baseRouter(io.vertx.core.Vertx vertx, io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> beforeBody) {
    return baseRouter(vertx, beforeBody, null);
  }

  /**
   * As {@link #baseRouter(io.vertx.core.Vertx, io.vertx.core.Handler)}, with {@code streamedRoutes}
   * (when not null) mounting the routes that read their body themselves, as a stream, after
   * {@code beforeBody} and before the body handler: the 64 KiB limit does not apply to them, and
   * they bound their memory themselves (the user import). Such a route must pause its request
   * before anything asynchronous, or the body is lost.
   */
  public static Router baseRouter(io.vertx.core.Vertx vertx, io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> beforeBody,
                                  java.util.function.Consumer<Router> streamedRoutes) {
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds());
    if (beforeBody != null) {
      router.route().handler(beforeBody);
    }
    if (streamedRoutes != null) {
      streamedRoutes.accept(router);
    }
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    ProblemHandler.install(router);
    return router;
  }
}
