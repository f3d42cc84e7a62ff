package io.latchkey.auth;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.auth.bus.ValidateTokenConsumer;
import io.latchkey.auth.http.AccessGuard;
import io.latchkey.auth.http.OpenApiDocument;
import io.latchkey.auth.http.SessionRoutes;
import io.latchkey.auth.http.TokenRoutes;
import io.latchkey.auth.login.LoginComponent;
import io.latchkey.auth.session.RefreshTokens;
import io.latchkey.auth.session.SessionCleanup;
import io.latchkey.auth.session.SessionRepository;
import io.latchkey.auth.session.SessionService;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.sync.SyncStateRepository;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.auth.token.Revocations;
import io.latchkey.auth.token.TokenValidator;
import io.latchkey.auth.token.VerifiedTokenMemory;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.BusClient;
import io.latchkey.common.Database;
import io.latchkey.common.Deployments;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.NodeState;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The auth service as one deployable unit, started in two steps: {@link #prepare} (blocking, no
 * Vert.x: migrates schema {@code auth}, reads the OpenAPI document), then {@link #deploy}, which builds the process-wide objects once (database pool, bcrypt pool with one thread per core,
 * JWT keys, revocations, verified-token memory, sessions, the login component), then deploys
 * {@code instances} {@link AuthVerticle}s sharing them. The future completes when every
 * instance listens.
 *
 * <p>The login side ({@link LoginComponent}) is built and started once per process here, and
 * mounted on every instance's router: its handlers run on several event loops.
 */
public final class AuthModule {

  private static final Logger LOG = LoggerFactory.getLogger(AuthModule.class);
  public static final String SCHEMA = "auth";
  /** Revocations are loaded again this long after start (closes the window in which a new node's subscription was not yet known). */
  private static final long RELOAD_REVOCATIONS_AFTER_MS = 5_000;

  private final Vertx vertx;
  private final Parts parts;
  private final List<String> deployments;
  private final List<AuthVerticle> verticles;
  private final int httpPort;

  /** The process-wide objects (tests reach a few of them). */
  record Parts(Pool pool, BcryptPool bcrypt, Revocations revocations, SessionService sessions, SessionCleanup cleanup,
               LoginComponent login, AccessTokens accessTokens, VerifiedTokenMemory memory) {
  }

  private AuthModule(Vertx vertx, Parts parts, List<String> deployments, List<AuthVerticle> verticles, int httpPort) {
    this.vertx = vertx;
    this.parts = parts;
    this.deployments = deployments;
    this.verticles = verticles;
    this.httpPort = httpPort;
  }

  /**
   * What the start needs that is slow and blocking but needs no Vert.x: the schema migrated,
   * the OpenAPI document read and merged. The launcher prepares it beside the cluster join (the
   * bcrypt pool computes its dummy hash itself, on its own thread).
   */
  public record Prepared(JsonObject openApi) {
  }

  /** Blocking: migrates schema {@code auth}, reads the OpenAPI document. Never on an event loop. */
  public static Prepared prepare(AuthConfig config) {
    Database.migrateNow(config.database(), SCHEMA);
    return new Prepared(OpenApiDocument.load());
  }

  /** Prepares on a worker thread, then deploys. */
  public static Future<AuthModule> deploy(Vertx vertx, AuthConfig config, ApiKeys keys, NodeState state, int instances) {
    return vertx.executeBlocking(() -> prepare(config), false)
      .compose(prepared -> deploy(vertx, config, keys, state, instances, prepared));
  }

  /** Deploys what {@link #prepare} made ready on a clustered Vert.x; the future completes when every instance listens. */
  public static Future<AuthModule> deploy(Vertx vertx, AuthConfig config, ApiKeys keys, NodeState state, int instances,
                                          Prepared prepared) {
    if (instances < 1) {
      return Future.failedFuture(new IllegalArgumentException("the auth service needs at least one HTTP instance"));
    }
    if (!vertx.isClustered()) {
      return Future.failedFuture(new IllegalStateException("the auth service needs a clustered Vert.x (Hazelcast)"));
    }
    BcryptPool bcrypt = new BcryptPool(vertx, config.login().bcryptThreads(), config.login().bcryptQueue(),
      config.login().bcryptCost());
    Clock clock = Clock.systemUTC();
    Pool pool = Database.pool(vertx, config.database());
    HazelcastInstance hazelcast = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    BusClient userService = new BusClient(vertx.eventBus(), keys, config.userServiceTimeoutMs(),
      ErrorCodes.USER_SERVICE_UNAVAILABLE, "user service");

    AccessTokens accessTokens = new AccessTokens(config.jwtKeys(), config.tokens(), clock);
    VerifiedTokenMemory memory = new VerifiedTokenMemory(config.verifiedTokenMemorySize());
    Revocations revocations = new Revocations(vertx, keys, config.tokens().accessTokenTtl());
    TokenValidator validator = new TokenValidator(accessTokens, memory, revocations, clock);
    SessionService sessions = new SessionService(new SessionRepository(pool), new RefreshTokens(config.refreshTokenSecret()),
      accessTokens, revocations, userService, new SyncStateRepository(pool));
    AccessGuard guard = new AccessGuard(keys, validator);
    LoginComponent login = new LoginComponent(vertx, hazelcast, config.login(), bcrypt, userService, sessions, pool,
      keys, guard);
    SessionCleanup cleanup = new SessionCleanup(vertx, pool, config.tokens().accessTokenTtl(), config.tokens().refreshTokenTtl(),
      config.sessionCleanupBatchSize(), config.sessionCleanupInterval());
    Parts parts = new Parts(pool, bcrypt, revocations, sessions, cleanup, login, accessTokens, memory);

    AuthVerticle.Shared shared = new AuthVerticle.Shared(config, new TokenRoutes(sessions, validator, guard, config.jwtKeys()),
      new SessionRoutes(sessions, guard, userService), login, new ValidateTokenConsumer(validator, keys), pool, state,
      prepared.openApi());
    List<String> deployed = Collections.synchronizedList(new ArrayList<>());
    List<AuthVerticle> verticles = Collections.synchronizedList(new ArrayList<>());
    // with port 0 (tests) a free port is chosen first, so that every instance shares it
    int port = config.httpPort() == 0 ? freePort(config.httpHost()) : config.httpPort();
    // the revocations load (first PostgreSQL round trip) and the login maps' set-up are independent
    Future<AuthModule> started = Future.all(revocations.start(pool), login.start())
      .compose(v -> vertx.deployVerticle(() -> {
        AuthVerticle next = new AuthVerticle(shared, port);
        verticles.add(next);
        return next;
      }, new DeploymentOptions().setInstances(instances)))
      .onSuccess(deployed::add)
      .map(deploymentId -> {
        cleanup.start();
        revocations.reloadOnceAfter(pool, RELOAD_REVOCATIONS_AFTER_MS);
        LOG.info("auth service listening on {}:{} ({} HTTP instance(s), signing kid {}, {} verification key(s), bcrypt {} thread(s), key {})",
          config.httpHost(), port, instances, config.jwtKeys().signingKid(), config.jwtKeys().verificationKeys().size(),
          bcrypt.threads(), ApiKeys.fingerprint(keys.outgoing()));
        return new AuthModule(vertx, parts, deployed, verticles, port);
      });
    return started.recover(err -> new AuthModule(vertx, parts, deployed, verticles, -1).undeploy()
      .transform(ignored -> Future.failedFuture(err)));
  }

  /** Stops the HTTP verticles, the login component, the cleanup and the revocation feed, then closes the pools. */
  public Future<Void> undeploy() {
    Future<Void> chain = Deployments.undeployInReverse(vertx, deployments);
    parts.cleanup().stop();
    return chain
      .transform(v -> parts.login().stop())
      .transform(v -> parts.revocations().stop())
      .transform(v -> parts.pool().close())
      .eventually(() -> {
        parts.bcrypt().close();
        return Future.succeededFuture();
      });
  }

  /** The port the HTTP server listens on (the real one when the configuration said 0). */
  public int httpPort() {
    return httpPort;
  }

  /** The sessions side, as the login side sees it. */
  public Sessions sessions() {
    return parts.sessions();
  }

  SessionService sessionService() {
    return parts.sessions();
  }

  Parts parts() {
    return parts;
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("no free port on " + host, e);
    }
  }

  /** "METHOD /path" of every route of the router (OpenAPI style {param}), for the coverage test. */
  Set<String> routeTable() {
    Router router = verticles.get(0).routerForTests();
    Set<String> out = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
        continue;
      }
      String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      route.methods().forEach(m -> out.add(m.name() + " " + path));
    }
    return out;
  }
}
