package io.latchkey.auth;

import io.latchkey.auth.bus.ValidateTokenConsumer;
import io.latchkey.auth.http.AuthApi;
import io.latchkey.common.HttpServers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;

/**
 * One event loop's share of the auth service: the token-validation bus endpoint and the HTTP
 * server with {@link AuthApi}'s router. Wiring only: what it mounts is built once per process by
 * {@link AuthModule}.
 */
final class AuthVerticle extends VerticleBase {

  private final AuthApi api;
  private final ValidateTokenConsumer validateConsumer;
  private final String host;
  private final int port;
  private HttpServer server;

  AuthVerticle(AuthApi api, ValidateTokenConsumer validateConsumer, String host, int port) {
    this.api = api;
    this.validateConsumer = validateConsumer;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    return validateConsumer.register(vertx).completion()
      .compose(v -> HttpServers.server(vertx, host, port, api.router(vertx))
        .listen())
      .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    // in-flight requests finish; Vert.x would otherwise close the server at once on undeploy
    return HttpServers.shutdown(server);
  }
}
