package io.latchkey.launcher;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.ManagementSettings;
import io.latchkey.common.NodeState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One process of the cluster: a clustered Vert.x on our Hazelcast configuration, the services
 * of its role prepared beside the join and deployed on it, and readiness once a bus round trip
 * works. {@link #stop} is the
 * graceful way out: readiness DOWN, a pause for the balancer, services undeployed (in-flight
 * requests finish), Vert.x closed so that the node leaves the cluster instead of vanishing.
 */
public final class LatchkeyNode {

  private static final Logger LOG = LoggerFactory.getLogger(LatchkeyNode.class);

  /** How long readiness may take to prove an event-bus round trip through the cluster. */
  static final long BUS_ROUND_TRIP_DEADLINE_MS = 15_000;
  /** How long the start waits for each peer to answer a ping (warming the event-bus connections). */
  static final long PEER_WARM_UP_MS = 10_000;

  private final LaunchConfiguration config;
  private final List<ServicePlan.RunningService> running = Collections.synchronizedList(new ArrayList<>());
  private final AtomicReference<Future<Void>> stopping = new AtomicReference<>();
  private volatile Vertx vertx;
  private volatile HazelcastClusterManager clusterManager;
  private volatile NodeState state;
  /** The process's one meter registry (Vert.x's series and the services'); served by {@link #management}. */
  private final NodeMetrics metrics = new NodeMetrics();
  private volatile ManagementServer management;

  public LatchkeyNode(LaunchConfiguration config) {
    this.config = config;
  }

  /**
   * Prepares every service on its own thread while joining the cluster, then deploys the
   * services one after another (each once it is prepared) and proves a bus round trip.
   */
  public Future<LatchkeyNode> start() {
    ClusterSettings cluster = config.cluster();
    HazelcastClusterManager manager = cluster.clusterManager();
    this.clusterManager = manager;
    // begun before the join, so that the migrations and the resource reads run beside it (the
    // join is the longer of the two) instead of after it
    List<Preparation> preparations = config.services().stream().map(Preparation::begin).toList();
    return Vertx.builder()
      .with(new VertxOptions().setEventBusOptions(EventBusTls.eventBusOptions(config.eventBusTls()))
        .setMetricsOptions(NodeMetrics.options()))
      .withMetrics(metrics.factory())
      .withClusterManager(manager)
      .buildClustered()
      .recover(e -> Future.failedFuture(new StartupException("cannot join the Hazelcast cluster " + cluster.clusterName()
        + " on " + cluster.bindInterface() + ":" + cluster.port() + "+", e)))
      .compose(started -> {
        this.vertx = started;
        this.state = new NodeState(manager.getNodeId());
        logMembershipChanges(manager);
        metrics.bindCluster(manager);
        // the peers' event-bus connections are opened while the services deploy (never fails)
        Future<Void> peersWarm = warmUpPeers(manager);
        return deployAll(preparations, 0, System.nanoTime()).compose(v -> startManagement()).compose(v -> peersWarm);
      })
      .compose(v -> HealthRoutes.proveBusRoundTrip(vertx, state, BUS_ROUND_TRIP_DEADLINE_MS)
        .recover(e -> Future.failedFuture(new StartupException("the event bus round trip through the cluster did not work within "
          + BUS_ROUND_TRIP_DEADLINE_MS / 1000 + " s", e))))
      .map(this);
  }

  /**
   * A plan's {@link ServicePlan.Preparer} running on a plain daemon thread of its own, begun
   * before the cluster join. If the join fails its result is simply never used.
   */
  private static final class Preparation {
    private final ServicePlan plan;
    private final long begunAt = System.nanoTime();
    private final CompletableFuture<ServicePlan.Deployer> deployer = new CompletableFuture<>();
    private volatile long preparedAt;

    private Preparation(ServicePlan plan) {
      this.plan = plan;
    }

    static Preparation begin(ServicePlan plan) {
      Preparation preparation = new Preparation(plan);
      Thread thread = new Thread(preparation::run, "latchkey-prepare-" + plan.name().replace(' ', '-'));
      thread.setDaemon(true);
      thread.start();
      return preparation;
    }

    private void run() {
      try {
        ServicePlan.Deployer prepared = plan.preparer().prepare();
        preparedAt = System.nanoTime();
        deployer.complete(prepared);
      } catch (Throwable e) {
        deployer.completeExceptionally(e);
      }
    }

    /** The deployer, on {@code vertx}'s side once prepared; logs how the preparation and the join overlapped. */
    Future<ServicePlan.Deployer> prepared(Vertx vertx, long joinedAt) {
      return Future.fromCompletionStage(deployer, vertx.getOrCreateContext())
        .recover(e -> Future.failedFuture(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e))
        .onSuccess(d -> LOG.info("{} prepared in {} ms beside the cluster join, {}", plan.name(), millis(preparedAt - begunAt),
          preparedAt <= joinedAt ? millis(joinedAt - preparedAt) + " ms before the join completed (it waited for the cluster)"
            : millis(preparedAt - joinedAt) + " ms after the join completed (the deployment waited for it)"));
    }

    private static long millis(long nanos) {
      return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
  }

  /**
   * One line per membership change, with the size as this node sees it: operators (and
   * scripts/scale.sh status) read the cluster size of a node from its log.
   */
  private void logMembershipChanges(HazelcastClusterManager manager) {
    manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        LOG.info("cluster size {}: member {} joined", event.getMembers().size(), event.getMember().getAddress());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        LOG.info("cluster size {}: member {} left or was dropped", event.getMembers().size(), event.getMember().getAddress());
      }
    });
  }

  /**
   * Pings every other member's node-ping consumer before readiness, so that the event-bus
   * connections in both directions (the reply travels on the peer's connection to us) exist
   * before traffic arrives. With TLS on the event bus the first handshake of a fresh JVM takes
   * more than a second, longer than the services' bus timeouts: without this the first requests
   * that cross to another node after a start time out. Never fails the start: a peer that does
   * not answer within the bound (leaving, or still starting) is logged and skipped.
   */
  private Future<Void> warmUpPeers(HazelcastClusterManager manager) {
    String self = manager.getNodeId();
    List<Future<Boolean>> pings = new ArrayList<>();
    for (String peer : manager.getNodes()) {
      if (!peer.equals(self)) {
        long until = System.currentTimeMillis() + PEER_WARM_UP_MS;
        pings.add(pingPeer(peer, until).onFailure(e -> LOG.warn("event bus: peer {} did not answer a ping within {} ms ({})",
          peer, PEER_WARM_UP_MS, e.getMessage())).otherwise(false));
      }
    }
    long started = System.currentTimeMillis();
    return Future.join(pings).transform(ar -> {
      long answered = pings.stream().filter(f -> Boolean.TRUE.equals(f.result())).count();
      LOG.info("event bus: {} of {} peer(s) answered a ping in {} ms", answered, pings.size(), System.currentTimeMillis() - started);
      return Future.<Void>succeededFuture();
    });
  }

  private Future<Boolean> pingPeer(String peer, long until) {
    return vertx.eventBus().request(BusAddresses.nodePing(peer), "ping", new DeliveryOptions().setSendTimeout(3000))
      .map(reply -> true)
      .recover(e -> System.currentTimeMillis() > until ? Future.failedFuture(e)
        : vertx.timer(200).compose(t -> pingPeer(peer, until)));
  }

  /**
   * The management server (GET /metrics), one per process: on the management settings of the
   * first service of the role, so with both services in one process (LATCHKEY_ROLE=all) on the
   * user service's (MANAGEMENT_PORT, default 9181), serving the series of both.
   */
  private Future<Void> startManagement() {
    ManagementSettings settings = config.services().get(0).management();
    return ManagementServer.start(vertx, metrics.registry(), settings)
      .recover(e -> Future.failedFuture(new StartupException("cannot serve /metrics on " + settings.host() + ":" + settings.port()
        + " (MANAGEMENT_HOST, MANAGEMENT_PORT): " + e.getMessage(), e)))
      .onSuccess(server -> {
        management = server;
        LOG.info("metrics on http://{}:{}/metrics", urlHost(settings.host()), server.port());
      })
      .mapEmpty();
  }

  private static String urlHost(String host) {
    return "0.0.0.0".equals(host) || "::".equals(host) ? "127.0.0.1" : host;
  }

  private Future<Void> deployAll(List<Preparation> preparations, int index, long joinedAt) {
    if (index == preparations.size()) {
      return Future.succeededFuture();
    }
    Preparation preparation = preparations.get(index);
    ServicePlan plan = preparation.plan;
    return preparation.prepared(vertx, joinedAt)
      .compose(deployer -> deployer.deploy(vertx, clusterManager.getHazelcastInstance(), config.keys(), state,
        config.options().instances(), metrics.registry()))
      .recover(e -> Future.failedFuture(new StartupException(plan, e)))
      .compose(deployed -> {
        running.add(new ServicePlan.RunningService(plan, deployed.httpPort(), deployed.undeploy()));
        return deployAll(preparations, index + 1, joinedAt);
      });
  }

  /**
   * The graceful stop; idempotent (every call returns the same future). Readiness goes DOWN at
   * once, then after {@code drainMs} the services are undeployed (last deployed first) and
   * Vert.x is closed, which makes the node leave the cluster.
   */
  public Future<Void> stop(long drainMs) {
    Future<Void> existing = stopping.get();
    if (existing != null) {
      return existing;
    }
    Vertx current = vertx;
    if (current == null) {
      Future<Void> none = Future.succeededFuture();
      return stopping.compareAndSet(null, none) ? none : stopping.get();
    }
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    if (!stopping.compareAndSet(null, promise.future())) {
      return stopping.get();
    }
    if (state != null) {
      state.startDraining();
    }
    Future<Void> drained = drainMs > 0 ? current.timer(drainMs) : Future.succeededFuture();
    // close() is listened to directly into a context-less promise: a future chained on an
    // event-loop context could not be completed once close() has shut the event loops down
    drained
      .transform(v -> undeployAll())
      // /metrics answers through the drain and the undeployment: the last scrape sees them
      .transform(v -> management == null ? Future.<Void>succeededFuture() : management.close().otherwiseEmpty())
      .onComplete(v -> current.close().onComplete(promise));
    return promise.future();
  }

  private Future<Void> undeployAll() {
    List<ServicePlan.RunningService> services;
    synchronized (running) {
      services = new ArrayList<>(running);
    }
    Collections.reverse(services);
    Future<Void> chain = Future.succeededFuture();
    for (ServicePlan.RunningService service : services) {
      chain = chain.transform(v -> service.undeploy().get()
        .onSuccess(x -> LOG.info("{} stopped", service.plan().name()))
        .onFailure(e -> LOG.warn("{} did not stop cleanly: {}", service.plan().name(), e.toString()))
        .otherwiseEmpty());
    }
    return chain;
  }

  public List<ServicePlan.RunningService> services() {
    synchronized (running) {
      return List.copyOf(running);
    }
  }

  public String nodeId() {
    return state == null ? "(not joined)" : state.nodeId();
  }

  /** The port of the management server (GET /metrics), -1 before it listens (tests start it on port 0). */
  public int managementPort() {
    ManagementServer server = management;
    return server == null ? -1 : server.port();
  }

  /** The process's meter registry. */
  public io.micrometer.core.instrument.MeterRegistry meterRegistry() {
    return metrics.registry();
  }

  public NodeState state() {
    return state;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Members of the cluster as this node sees them, -1 before it joined. */
  public int clusterSize() {
    HazelcastClusterManager manager = clusterManager;
    return manager == null || !manager.isActive() ? -1 : manager.getNodes().size();
  }

  public LaunchConfiguration config() {
    return config;
  }

  /** The one line logged when the node is ready: URLs, node id, cluster size, key fingerprint (never the key). */
  public String readyLine() {
    StringBuilder line = new StringBuilder("ready:");
    for (ServicePlan.RunningService service : services()) {
      line.append(' ').append(service.plan().name()).append(" on http://").append(service.plan().urlHost()).append(':')
        .append(service.httpPort()).append(',');
    }
    ApiKeys keys = config.keys();
    line.append(" node ").append(nodeId())
      .append(", cluster ").append(config.cluster().clusterName()).append(" with ").append(clusterSize()).append(" member(s)")
      .append(config.eventBusTls() == null ? ", event bus without TLS" : ", event bus over TLS (" + config.eventBusTls().describe() + ")")
      .append(", ").append(config.options().instances()).append(" instance(s) per service")
      .append(", API key ").append(ApiKeys.fingerprint(keys.outgoing()))
      .append(keys.usesDevelopmentKey() ? " (the development key)" : "");
    return line.toString();
  }
}
