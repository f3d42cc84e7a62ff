package io.latchkey.user.http;

import io.latchkey.common.HttpServers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/** One HTTP server instance of the user service: build the router, listen. Deployed N times. */
public final class UserHttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(UserHttpVerticle.class);

  private final Function<io.vertx.core.Vertx, Router> routerFactory;
  private final String host;
  private final int port;
  private HttpServer server;

  public UserHttpVerticle(Function<io.vertx.core.Vertx, Router> routerFactory, String host, int port) {
    this.routerFactory = routerFactory;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    Router router = routerFactory.apply(vertx);
    return vertx.createHttpServer(HttpServers.options(host, port))
      .requestHandler(router)
      .listen()
      .onSuccess(s -> {
        server = s;
        LOG.debug("user HTTP server instance listening on {}:{}", host, s.actualPort());
      });
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
