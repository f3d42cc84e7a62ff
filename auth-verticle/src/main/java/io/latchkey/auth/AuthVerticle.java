package io.latchkey.auth;

import io.latchkey.auth.bus.ValidateTokenConsumer;
import io.latchkey.auth.http.SessionRoutes;
import io.latchkey.auth.http.TokenRoutes;
import io.latchkey.auth.login.LoginComponent;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.HttpServers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * One event loop's share of the auth service: the router (health, login, tokens, sessions,
 * JWKS, OpenAPI), the token-validation bus endpoint, and the HTTP server. Wiring only: the
 * objects it mounts are built once per process by {@link AuthModule}.
 */
public final class AuthVerticle extends VerticleBase {

  /** The process-wide objects every instance shares. */
  record Shared(AuthConfig config, TokenRoutes tokenRoutes, SessionRoutes sessionRoutes, LoginComponent login,
                ValidateTokenConsumer validateConsumer, io.vertx.sqlclient.Pool pool, io.latchkey.common.NodeState state,
                JsonObject openApi) {
  }

  private final Shared shared;
  private final int port;
  private Router router;
  private HttpServer server;

  AuthVerticle(Shared shared, int port) {
    this.shared = shared;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    router = router();
    return shared.validateConsumer().register(vertx).completion()
      .compose(v -> vertx.createHttpServer(HttpServers.options(shared.config().httpHost(), port))
        .requestHandler(router)
        .listen())
      .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    // in-flight requests finish; Vert.x would otherwise close the server at once on undeploy
    return HttpServers.shutdown(server);
  }

  private Router router() {
    Router r = HttpServers.baseRouter(vertx);
    new HealthRoutes(vertx, shared.state(), shared.pool()).mount(r);
    shared.login().mount(r);
    shared.tokenRoutes().mount(r);
    shared.sessionRoutes().mount(r);
    String openApi = shared.openApi().encode();
    r.get("/openapi.json").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(openApi));
    return r;
  }

  Router routerForTests() {
    return router;
  }

  int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
