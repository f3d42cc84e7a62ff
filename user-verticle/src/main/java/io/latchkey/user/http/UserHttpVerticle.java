package io.latchkey.user.http;

import io.latchkey.common.HttpServers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;
import java.util.function.IntConsumer;

/** One HTTP server instance of the user service: build the router, listen. Deployed N times. */
public final class UserHttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(UserHttpVerticle.class);

  private final Function<io.vertx.core.Vertx, Router> routerFactory;
  private final String host;
  private final int port;
  private final IntConsumer onListening;
  private HttpServer server;

  /**
   * @param port        the port; a negative one is a random port shared by every server given the same value
   * @param onListening told the actual port once this instance listens
   */
  public UserHttpVerticle(Function<io.vertx.core.Vertx, Router> routerFactory, String host, int port, IntConsumer onListening) {
    this.routerFactory = routerFactory;
    this.host = host;
    this.port = port;
    this.onListening = onListening;
  }

  @Override
  public Future<?> start() {
    Router router = routerFactory.apply(vertx);
    return HttpServers.server(vertx, host, port, router)
      .listen()
      .onSuccess(s -> {
        server = s;
        onListening.accept(s.actualPort());
        LOG.debug("user HTTP server instance listening on {}:{}", host, s.actualPort());
      });
  }

  @Override
  public Future<?> stop() {
    return HttpServers.shutdown(server);
  }
}
