package io.latchkey.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The machine's ceiling for the HTTP scenarios: a bare Vert.x Web server (no product code)
 * answering {@code POST /echo} with a small JSON body by {@code {"status":"ok"}}, with as many
 * verticle instances as the services get (one per core by default). It parses the JSON body it
 * receives, as the product's routes do, so the difference to a product route is the product's
 * own work. Not a product route: scripts/bench.sh starts it as its own process.
 *
 * <pre>java -cp latchkey-bench.jar io.latchkey.bench.BaselineServer &lt;port&gt; [instances]</pre>
 */
public final class BaselineServer extends VerticleBase {

  private final int port;

  BaselineServer(int port) {
    this.port = port;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.post("/echo").handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
    router.post("/echo").handler(ctx -> {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        ctx.fail(400);
        return;
      }
      ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("status", "ok").encode());
    });
    router.get("/health/ready").handler(ctx -> ctx.response().end("ok"));
    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
      .requestHandler(router)
      .listen();
  }

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: BaselineServer <port> [instances]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new BaselineServer(port), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("baseline server listening on 127.0.0.1:" + port + " (" + instances + " instance(s))"))
      .onFailure(err -> {
        System.err.println("baseline server failed to start: " + err);
        System.exit(1);
      });
  }
}
