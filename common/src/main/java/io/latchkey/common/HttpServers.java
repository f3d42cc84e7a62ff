package io.latchkey.common;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/** The HTTP settings both services share: body and header limits, request ids, problems. */
public final class HttpServers {

  public static final long MAX_BODY_BYTES = 64 * 1024;
  public static final int MAX_HEADER_BYTES = 16 * 1024;

  private HttpServers() {
  }

  public static HttpServerOptions options(String host, int port) {
    return new HttpServerOptions()
      .setHost(host)
      .setPort(port)
      .setMaxHeaderSize(MAX_HEADER_BYTES)
      .setCompressionSupported(false)
      .setIdleTimeout(60);
  }

  /** A router with request ids, a 64 KiB body limit and the problem handler installed. */
  public static Router baseRouter(io.vertx.core.Vertx vertx) {
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds());
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    ProblemHandler.install(router);
    return router;
  }
}
