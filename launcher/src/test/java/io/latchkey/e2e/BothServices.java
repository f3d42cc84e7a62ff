package io.latchkey.e2e;

import io.latchkey.auth.AuthConfig;
import io.latchkey.auth.AuthModule;
import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.NodeState;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.latchkey.user.UserConfig;
import io.latchkey.user.UserModule;
import io.latchkey.user.testing.TestMailServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Both services through their real modules on one private test cluster of three clustered
 * Vert.x nodes in this JVM: the user service on node 0, an auth service on nodes 1 and 2 (so
 * "every auth node" means two), one fresh PostgreSQL database holding schemas {@code users}
 * and {@code auth}. Either service can be undeployed and deployed again on its node (a new
 * HTTP port each time) to play "the other service is absent".
 */
final class BothServices implements AutoCloseable {

  static final String FULL_KEY = "e2e-full-key-0123456789abcdef";
  static final String VALIDATE_KEY = "e2e-validate-key-0123456789abcdef";
  static final ApiKeys KEYS = new ApiKeys(List.of(FULL_KEY), List.of(VALIDATE_KEY), FULL_KEY);
  static final int AUTH_NODES = 2;

  private final TestNodes cluster = new TestNodes();
  private final DbConfig database;
  private final Map<String, String> env = new HashMap<>();
  final Vertx userNode;
  final List<Vertx> authNodes = new ArrayList<>();
  private UserModule userModule;
  private final AuthModule[] authModules = new AuthModule[AUTH_NODES];
  private final WebClient http;
  private final Pool sql;
  /** The SMTP server the user service sends to (GreenMail in this JVM). */
  final TestMailServer mail = TestMailServer.start();

  private BothServices(Map<String, String> overrides) {
    database = TestPostgres.freshDatabase();
    Path keysDir;
    try {
      keysDir = Files.createTempDirectory("latchkey-e2e-keys");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    JwtKeys.generateDevelopmentKeys(JwsAlgorithm.RS256, keysDir);
    env.put("DATABASE_URL", TestPostgres.url(database));
    env.put("DATABASE_POOL_SIZE", "4");
    env.put("API_KEYS", FULL_KEY);
    env.put("API_KEYS_VALIDATE", VALIDATE_KEY);
    env.put("BCRYPT_COST", "4");
    env.put("BCRYPT_THREADS", "2");
    env.put("BCRYPT_QUEUE", "256");
    // the end-to-end tests register many users from 127.0.0.1
    env.put("REGISTRATION_IP_MAX", "100000");
    // user service: the contract's ~2 s acknowledgement bound, a fast relay so that a returning auth service gets its notices soon
    env.put("USER_HTTP_HOST", "127.0.0.1");
    env.put("USER_HTTP_PORT", "0");
    env.put("NOTICE_WAIT_MS", "2000");
    env.put("BUS_TIMEOUT_MS", "2000");
    env.put("RELAY_SWEEP_MS", "100");
    env.put("RELAY_BACKOFF_MIN_MS", "50");
    env.put("RELAY_BACKOFF_MAX_MS", "400");
    // auth service
    env.put("AUTH_HTTP_HOST", "127.0.0.1");
    env.put("AUTH_HTTP_PORT", "0");
    env.put("JWT_KEYS_DIR", keysDir.toString());
    env.put("REFRESH_TOKEN_SECRET", "an-e2e-refresh-secret-of-at-least-32-bytes");
    env.put("USER_SERVICE_TIMEOUT_MS", "700");
    // the tests run the retention themselves when they test it
    env.put("RETENTION_INTERVAL_SECONDS", "0");
    // throttling is not under test here, and every login of this class comes from 127.0.0.1
    env.put("LOGIN_IP_MAX_FAILURES", "100000");
    env.put("LOGIN_ACCOUNT_MAX_FAILURES", "1000");
    env.putAll(mail.settings());
    env.put("MAIL_SWEEP_MS", "100");
    env.put("MAIL_BACKOFF_MIN_MS", "50");
    env.put("MAIL_BACKOFF_MAX_MS", "400");
    env.putAll(overrides);

    // one after another: nodes started at the same instant may form separate clusters
    userNode = await(cluster.start(), 60);
    for (int i = 0; i < AUTH_NODES; i++) {
      authNodes.add(await(cluster.start(), 60));
    }
    http = WebClient.create(userNode);
    sql = Database.pool(userNode, database);
  }

  /** The cluster, the user service, then an auth service on each auth node; returns once each side reaches the other. */
  static BothServices start() {
    return start(Map.of());
  }

  /** As {@link #start()}, with settings over the test settings (environment style, for both services). */
  static BothServices start(Map<String, String> overrides) {
    BothServices services = new BothServices(overrides);
    try {
      services.deployUserService();
      for (int i = 0; i < AUTH_NODES; i++) {
        services.deployAuthService(i);
      }
      return services;
    } catch (RuntimeException | AssertionError e) {
      services.close();
      throw e;
    }
  }

  // ---- deployments

  void deployUserService() {
    if (userModule != null) {
      throw new IllegalStateException("the user service is already deployed");
    }
    UserConfig config = UserConfig.from(new Settings(new JsonObject(), env));
    NodeState state = new NodeState("e2e-user-" + UUID.randomUUID());
    userModule = await(UserModule.deploy(userNode, TestNodes.hazelcast(userNode), config, KEYS, state, 1), 60);
    for (Vertx authNode : authNodes) {
      awaitVisible(authNode, userNode, state);
      awaitReachable(authNode, BusAddresses.USER_CREDENTIALS, new JsonObject().put("userId", UUID.randomUUID().toString()),
        ErrorCodes.USER_SERVICE_UNAVAILABLE);
    }
  }

  void undeployUserService() {
    UserModule module = userModule;
    userModule = null;
    await(module.undeploy(), 30);
  }

  void deployAuthService(int i) {
    if (authModules[i] != null) {
      throw new IllegalStateException("the auth service is already deployed on auth node " + i);
    }
    AuthConfig config = AuthConfig.from(new Settings(new JsonObject(), env), Profile.DEVELOPMENT);
    NodeState state = new NodeState("e2e-auth-" + i + "-" + UUID.randomUUID());
    authModules[i] = await(AuthModule.deploy(authNodes.get(i), TestNodes.hazelcast(authNodes.get(i)), config, KEYS, state, 1), 60);
    // the user service must see this node's consumers before a test relies on them
    awaitVisible(userNode, authNodes.get(i), state);
    awaitReachable(userNode, BusAddresses.AUTH_VALIDATE, new JsonObject().put("token", "not-a-token"),
      ErrorCodes.AUTH_SERVICE_UNAVAILABLE);
  }

  void undeployAuthService(int i) {
    AuthModule module = authModules[i];
    authModules[i] = null;
    await(module.undeploy(), 30);
  }

  boolean authServiceDeployed(int i) {
    return authModules[i] != null;
  }

  boolean userServiceDeployed() {
    return userModule != null;
  }

  int userPort() {
    if (userModule == null) {
      throw new IllegalStateException("the user service is not deployed");
    }
    return userModule.httpPort();
  }

  int authPort(int i) {
    if (authModules[i] == null) {
      throw new IllegalStateException("the auth service is not deployed on auth node " + i);
    }
    return authModules[i].httpPort();
  }

  /**
   * What the launcher does for readiness (a ping consumer registered after the module's own,
   * and a round trip), then a round trip from {@code from} to that ping consumer: the peer
   * sees the node's subscriptions.
   */
  private void awaitVisible(Vertx from, Vertx node, NodeState state) {
    await(HealthRoutes.proveBusRoundTrip(node, state, 15_000), 30);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(1000);
    Supplier<Future<Boolean>> pong = () -> from.eventBus().request(BusAddresses.nodePing(state.nodeId()), "ping", options)
      .map(reply -> true)
      .otherwise(false);
    await(Polls.until(from, 20_000, 50, pong), 30);
  }

  /**
   * Polls a bus address from {@code from} until a consumer answers (a reply, or a failure that
   * is not "{@code unavailableCode}": a 404 or a refusal is an answer).
   */
  private void awaitReachable(Vertx from, String address, JsonObject probe, String unavailableCode) {
    BusClient client = new BusClient(from.eventBus(), KEYS, 1000, unavailableCode, "probe");
    Supplier<Future<Boolean>> answered = () -> client.request(address, probe, "e2e-probe")
      .map(reply -> true)
      .recover(err -> Future.succeededFuture(!(err instanceof ApiException api && unavailableCode.equals(api.code()))));
    await(Polls.until(from, 20_000, 50, answered), 30);
  }

  // ---- HTTP

  Future<HttpResponse<Buffer>> send(int port, HttpMethod method, String path, Map<String, String> headers, JsonObject body) {
    HttpRequest<Buffer> request = http.request(method, port, "127.0.0.1", path).timeout(15_000);
    headers.forEach(request::putHeader);
    return body == null ? request.send() : request.sendJsonObject(body);
  }

  HttpResponse<Buffer> call(int port, HttpMethod method, String path, Map<String, String> headers, JsonObject body) {
    return await(send(port, method, path, headers, body), 30);
  }

  // ---- SQL for assertions on the rows both services write

  <T> T query(String statement, Function<RowSet<Row>, T> read, Object... params) {
    return await(queryAsync(statement, read, params), 30);
  }

  <T> Future<T> queryAsync(String statement, Function<RowSet<Row>, T> read, Object... params) {
    return sql.preparedQuery(statement).execute(Tuple.from(params)).map(read);
  }

  // ---- teardown

  @Override
  public void close() {
    if (userModule != null) {
      await(userModule.undeploy().otherwiseEmpty(), 30);
    }
    for (int i = 0; i < AUTH_NODES; i++) {
      if (authModules[i] != null) {
        await(authModules[i].undeploy().otherwiseEmpty(), 30);
      }
    }
    http.close();
    await(sql.close().otherwiseEmpty(), 30);
    // leave the cluster last node first
    for (int i = authNodes.size() - 1; i >= 0; i--) {
      await(authNodes.get(i).close().otherwiseEmpty(), 30);
    }
    await(userNode.close().otherwiseEmpty(), 30);
    mail.down();
  }

  // ---- helpers

  /** Waits on a future from the test thread (never an event loop), with a bound. */
  static <T> T await(Future<T> future, int seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("a step failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("a step did not complete within " + seconds + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
