package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.util.function.Supplier;

/**
 * The health endpoints of both services (documented in each openapi/*.json): live (the process runs), ready (joined the cluster, a bus round
 * trip worked, not draining), the full report, and the database. Services may add checks.
 */
public final class HealthRoutes {

  private final Vertx vertx;
  private final HealthChecks checks;
  private final NodeState state;
  private final Pool pool;

  public HealthRoutes(Vertx vertx, NodeState state, Pool pool) {
    this.vertx = vertx;
    this.state = state;
    this.pool = pool;
    this.checks = HealthChecks.create(vertx);
    checks.register("cluster", 1000, p -> p.complete(state.busReady() ? Status.OK() : Status.KO()));
    checks.register("accepting-traffic", 1000, p -> p.complete(state.draining() ? Status.KO() : Status.OK()));
    checks.register("database", 2000, this::checkDatabase);
  }

  /** Adds a check to the full report (for example a peer service or the cache). */
  public HealthRoutes register(String id, Supplier<Future<Boolean>> check) {
    checks.register(id, 2000, p -> check.get().onComplete(ar -> p.complete(ar.succeeded() && ar.result() ? Status.OK() : Status.KO())));
    return this;
  }

  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> write(ctx, true, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> {
      boolean ready = state.busReady() && !state.draining();
      write(ctx, ready, new JsonObject().put("status", ready ? "UP" : "DOWN")
        .put("clusterJoined", state.busReady()).put("draining", state.draining()).put("clusterSize", clusterSize()));
    });
    router.get("/health/db").handler(ctx -> checks.checkStatus("database").onComplete(ar -> {
      boolean up = ar.succeeded() && ar.result().getUp();
      write(ctx, up, new JsonObject().put("status", up ? "UP" : "DOWN"));
    }));
    router.get("/health").handler(ctx -> checks.checkStatus().onComplete(ar -> {
      JsonArray list = new JsonArray();
      boolean all = ar.succeeded();
      if (ar.succeeded()) {
        for (CheckResult check : ar.result().getChecks()) {
          boolean up = check.getUp();
          all &= up;
          list.add(new JsonObject().put("id", check.getId()).put("status", up ? "UP" : "DOWN"));
        }
      }
      write(ctx, all, new JsonObject().put("status", all ? "UP" : "DOWN").put("checks", list));
    }));
  }

  /** Members of the cluster as this node sees them (1 when Vert.x is not clustered). */
  private int clusterSize() {
    io.vertx.core.spi.cluster.ClusterManager manager = ((io.vertx.core.internal.VertxInternal) vertx).clusterManager();
    return manager == null ? 1 : manager.getNodes().size();
  }

  private void checkDatabase(Promise<Status> promise) {
    pool.query("SELECT 1").execute().onComplete(ar -> promise.complete(ar.succeeded() ? Status.OK() : Status.KO()));
  }

  private static void write(RoutingContext ctx, boolean up, JsonObject body) {
    ctx.response().setStatusCode(up ? 200 : 503)
      .putHeader("Content-Type", "application/json")
      .putHeader("Cache-Control", "no-store")
      .end(body.encode());
  }

  /**
   * Registers this node's ping consumer and proves a request/reply round trip through the
   * cluster's subscription registry, retrying for up to {@code deadlineMs}; then marks the
   * node ready. Readiness therefore means "peers can reach my consumers".
   */
  public static Future<Void> proveBusRoundTrip(Vertx vertx, NodeState state, long deadlineMs) {
    String address = BusAddresses.nodePing(state.nodeId());
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, m -> m.reply("pong"));
    long until = System.currentTimeMillis() + deadlineMs;
    return consumer.completion().compose(v -> ping(vertx, address, until)).onSuccess(v -> state.markBusReady());
  }

  private static Future<Void> ping(Vertx vertx, String address, long until) {
    return vertx.eventBus().request(address, "ping", new DeliveryOptions().setSendTimeout(1000)).<Void>mapEmpty()
      .recover(err -> {
        if (System.currentTimeMillis() > until) {
          return Future.failedFuture(new IllegalStateException("no event-bus round trip within the deadline: " + err.getMessage()));
        }
        return vertx.timer(100).compose(t -> ping(vertx, address, until));
      });
  }
}
