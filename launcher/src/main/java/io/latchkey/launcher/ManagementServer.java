package io.latchkey.launcher;

import io.latchkey.common.ManagementSettings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

/**
 * The management port of a process: {@code GET /metrics} in the Prometheus text format, and 404
 * for anything else. Its own small server, not the API's router or port (nothing of the API's
 * authentication, throttles or balancer applies to it), bound to loopback unless
 * {@code MANAGEMENT_HOST} says otherwise. One per process, whatever services it runs.
 *
 * <p>A scrape runs on a worker thread: some gauges read Hazelcast (the password cache's cluster
 * size), and rendering every series is work an event loop should not do.
 */
final class ManagementServer {

  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;

  private ManagementServer(HttpServer server) {
    this.server = server;
  }

  static Future<ManagementServer> start(Vertx vertx, PrometheusMeterRegistry registry, ManagementSettings settings) {
    // a router only so that Vert.x's own HTTP series label the scrapes route="/metrics"
    Router router = Router.router(vertx);
    router.route("/metrics").handler(ctx -> scrape(vertx, registry, ctx.request()));
    router.route().handler(ctx -> ctx.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8")
      .end("not found: GET /metrics\n"));
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(settings.host()).setPort(settings.port()));
    server.requestHandler(router);
    return server.listen().map(ManagementServer::new);
  }

  private static void scrape(Vertx vertx, PrometheusMeterRegistry registry, HttpServerRequest request) {
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      request.response().setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
      return;
    }
    vertx.executeBlocking(registry::scrape, false).onComplete(ar -> {
      if (ar.succeeded()) {
        request.response().putHeader("Content-Type", CONTENT_TYPE).end(ar.result());
      } else {
        request.response().setStatusCode(503).putHeader("Content-Type", "text/plain; charset=utf-8").end("scrape failed\n");
      }
    });
  }

  /** The port it listens on (the real one when the setting was 0). */
  int port() {
    return server.actualPort();
  }

  Future<Void> close() {
    return server.close();
  }
}
