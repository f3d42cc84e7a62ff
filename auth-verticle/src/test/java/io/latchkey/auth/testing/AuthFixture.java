package io.latchkey.auth.testing;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import io.latchkey.auth.AuthConfig;
import io.latchkey.auth.AuthModule;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.auth.cache.CacheSettings;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.NodeState;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.Await;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
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
import java.util.function.Function;
import java.util.function.Supplier;

import static io.latchkey.common.testing.Await.await;

/**
 * An auth service under test: clustered Vert.x nodes of a private test cluster, a fresh
 * PostgreSQL database, development JWT keys in a temporary folder, a {@link FakeUserService} on
 * the first node, and the real {@link AuthModule} deployed on every node, all sharing the database
 * (as real auth nodes do). Test classes get theirs from {@link AuthTest}; the helpers below are
 * what more than one test class asks of it.
 */
public final class AuthFixture implements AutoCloseable {

  public static final String FULL_KEY = "test-full-key";
  public static final String VALIDATE_KEY = "test-validate-key";

  public final ApiKeys keys = new ApiKeys(List.of(FULL_KEY), List.of(VALIDATE_KEY), null);
  public final List<Vertx> nodes = new ArrayList<>();
  public final List<AuthModule> modules = new ArrayList<>();
  public final List<WebClient> clients = new ArrayList<>();
  /** Each node's meter registry (kept across redeployments of its module, as a process keeps its own). */
  private final Map<Integer, MeterRegistry> metrics = new HashMap<>();
  public final DbConfig database;
  public final Path keysDir;
  /** The environment-style settings every node shares. */
  public final Map<String, String> env = new HashMap<>();
  /** What each node's settings add to {@link #env}, by node index. */
  private final Map<Integer, Map<String, String>> perNode;
  public FakeUserService users;
  private final TestNodes cluster = new TestNodes();
  private final Map<Integer, PasswordCache> caches = new HashMap<>();
  private final List<Pool> pools = new ArrayList<>();
  private Pool sql;

  private AuthFixture(Map<String, String> overrides, Map<Integer, Map<String, String>> perNode) {
    this.perNode = Map.copyOf(perNode);
    database = TestPostgres.freshDatabase();
    try {
      keysDir = Files.createTempDirectory("latchkey-keys");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    // both algorithms' pairs: JWT_ALGORITHM in the overrides picks one
    for (JwsAlgorithm algorithm : JwsAlgorithm.values()) {
      JwtKeys.generateDevelopmentKeys(algorithm, keysDir);
    }
    env.put("DATABASE_URL", TestPostgres.url(database));
    env.put("JWT_KEYS_DIR", keysDir.toString());
    env.put("AUTH_HTTP_HOST", "127.0.0.1");
    env.put("AUTH_HTTP_PORT", "0");
    env.put("BCRYPT_COST", "4");
    env.put("BCRYPT_THREADS", "2");
    env.put("USER_SERVICE_TIMEOUT_MS", "700");
    // the tests run the retention themselves when they test it
    env.put("RETENTION_INTERVAL_SECONDS", "0");
    env.put("REFRESH_TOKEN_SECRET", "a-test-refresh-secret-of-at-least-32-bytes");
    env.putAll(overrides);
  }

  /**
   * {@code nodeCount} cluster nodes (started one after another), the fake user service on node 0,
   * the module on each; {@code overrides} go to every node, {@code perNode} to one node each (over
   * {@code overrides}); {@code before} runs on the fresh database first. On a failure, what had
   * started is closed again.
   */
  public static AuthFixture start(int nodeCount, Map<String, String> overrides, Map<Integer, Map<String, String>> perNode,
                                  DatabaseSetup before) {
    AuthFixture fixture = new AuthFixture(overrides, perNode);
    try {
      prepare(before, fixture.database);
      for (int i = 0; i < nodeCount; i++) {
        fixture.nodes.add(await(fixture.cluster.start(), 60));
      }
      fixture.users = new FakeUserService(fixture.nodes.get(0), fixture.keys);
      await(fixture.users.start());
      for (int i = 0; i < nodeCount; i++) {
        fixture.deploy(i);
      }
      return fixture;
    } catch (RuntimeException | Error e) {
      try {
        fixture.close();
      } catch (RuntimeException | Error cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  public static AuthFixture start(int nodeCount, Map<String, String> overrides, Map<Integer, Map<String, String>> perNode) {
    return start(nodeCount, overrides, perNode, new DatabaseSetup.None());
  }

  private static void prepare(DatabaseSetup before, DbConfig database) {
    try {
      before.prepare(database);
    } catch (Exception e) {
      throw new IllegalStateException("preparing the test database (" + before.getClass().getSimpleName() + ") failed: " + e, e);
    }
  }

  public static AuthFixture start(int nodeCount, Map<String, String> overrides) {
    return start(nodeCount, overrides, Map.of());
  }

  public static AuthFixture start(int nodeCount) {
    return start(nodeCount, Map.of());
  }

  /** The settings of node {@code node} with {@code extra} over them, as the module reads them. */
  public Settings settings(int node, Map<String, String> extra) {
    Map<String, String> merged = new HashMap<>(env);
    merged.putAll(perNode.getOrDefault(node, Map.of()));
    merged.putAll(extra);
    return new Settings(new JsonObject(), merged);
  }

  /** The configuration of node {@code node}. */
  public AuthConfig config(int node) {
    return AuthConfig.from(settings(node, Map.of()), Profile.DEVELOPMENT);
  }

  /** The configuration of node 0 (the one of every node, unless the class set node settings). */
  public AuthConfig config() {
    return config(0);
  }

  /** Deploys (or redeploys) the module on node {@code i}. */
  public AuthModule deploy(int i) {
    Vertx vertx = nodes.get(i);
    AuthModule module = await(AuthModule.deploy(vertx, TestNodes.hazelcast(vertx), config(i), keys, new NodeState("node-" + i + "-" + UUID.randomUUID()), 2,
      metrics(i)), 60);
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(module.httpPort()));
    if (i < modules.size()) {
      modules.set(i, module);
      clients.set(i, client);
    } else {
      modules.add(module);
      clients.add(client);
    }
    return module;
  }

  /** The meter registry node {@code i}'s module counts into (its latchkey_* series). */
  public synchronized MeterRegistry metrics(int i) {
    return metrics.computeIfAbsent(i, n -> new SimpleMeterRegistry());
  }

  public AuthModule module(int i) {
    return modules.get(i);
  }

  /**
   * A handle of the test's own on the cluster-wide password cache, on node {@code node}, built as
   * the module builds its own (same settings, key and durable floors): it reads and writes the
   * same Hazelcast maps and shares that node's counters. Started on first use, one a node, closed
   * with the fixture.
   */
  public synchronized PasswordCache passwordCache(int node) {
    PasswordCache cache = caches.get(node);
    if (cache == null) {
      Vertx vertx = nodes.get(node);
      CacheSettings settings = config(node).cache();
      Pool pool = Database.pool(vertx, database);
      pools.add(pool);
      cache = new PasswordCache(vertx, TestNodes.hazelcast(vertx), settings, new CacheCipher(settings.key()), new VersionFloors(pool));
      await(cache.start());
      caches.put(node, cache);
    }
    return cache;
  }

  // ---- HTTP

  public HttpRequest<Buffer> request(int node, HttpMethod method, String path) {
    return clients.get(node).request(method, path);
  }

  public HttpResponse<Buffer> postJson(int node, String path, JsonObject body) {
    return await(request(node, HttpMethod.POST, path).sendJsonObject(body));
  }

  public HttpResponse<Buffer> postJson(int node, String path, JsonObject body, String header, String value) {
    return await(request(node, HttpMethod.POST, path).putHeader(header, value).sendJsonObject(body));
  }

  /** POST with the full API key (the sync routes, validate-token). */
  public HttpResponse<Buffer> postWithKey(int node, String path, JsonObject body) {
    return postJson(node, path, body, "X-API-Key", FULL_KEY);
  }

  public HttpResponse<Buffer> bearer(int node, HttpMethod method, String path, String accessToken) {
    return await(request(node, method, path).bearerTokenAuthentication(accessToken).send());
  }

  /** POST /auth/login. */
  public HttpResponse<Buffer> login(int node, String login, String password) {
    return postJson(node, "/auth/login", new JsonObject().put("login", login).put("password", password));
  }

  /** POST /auth/login with X-Forwarded-For (what a trusted proxy in front would send). */
  public HttpResponse<Buffer> loginFrom(int node, String forwardedFor, String login, String password) {
    return postJson(node, "/auth/login", new JsonObject().put("login", login).put("password", password), "X-Forwarded-For",
      forwardedFor);
  }

  /** POST /auth/refresh. */
  public HttpResponse<Buffer> refresh(int node, String refreshToken) {
    return postJson(node, "/auth/refresh", new JsonObject().put("refreshToken", refreshToken));
  }

  /** {@code count} POST /auth/refresh with the same token sent at once to node {@code node}: every answer, once all came. */
  public List<HttpResponse<Buffer>> refreshAtOnce(int node, String refreshToken, int count) {
    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inFlight.add(request(node, HttpMethod.POST, "/auth/refresh").sendJsonObject(new JsonObject().put("refreshToken", refreshToken)));
    }
    await(Future.join(inFlight));
    return inFlight.stream().map(Future::result).toList();
  }

  /** The body of POST /auth/validate-token (full key) on node {@code node}. */
  public JsonObject validation(int node, String accessToken) {
    return postWithKey(node, "/auth/validate-token", new JsonObject().put("token", accessToken)).bodyAsJsonObject();
  }

  /** "valid", or the reason validate-token on node {@code node} gives for refusing the token. */
  public String validity(int node, String accessToken) {
    JsonObject body = validation(node, accessToken);
    return body.getBoolean("valid") ? "valid" : body.getString("reason");
  }

  // ---- sessions

  /** Opens a session as a login would, through the module's sessions side on node {@code node}. */
  public TokenPair openSession(int node, Credentials user, String userAgent, String clientIp) {
    return await(module(node).sessions().open(user, userAgent, clientIp, "test-" + UUID.randomUUID()));
  }

  /** {@link #openSession(int, Credentials, String, String)} as "JUnit" from 127.0.0.1. */
  public TokenPair openSession(int node, Credentials user) {
    return openSession(node, user, "JUnit", "127.0.0.1");
  }

  /** The ids of every session row of the user, revoked or not. */
  public List<String> sessionIds(String userId) {
    return ids("SELECT id::text AS id FROM auth.sessions WHERE user_id = $1::uuid", userId);
  }

  /** The ids of the user's sessions that are not revoked. */
  public List<String> liveSessionIds(String userId) {
    return ids("SELECT id::text AS id FROM auth.sessions WHERE user_id = $1::uuid AND revoked_at IS NULL", userId);
  }

  /** The revoked_reason of a session (null while it is not revoked). */
  public String revokedReason(String sessionId) {
    return query("SELECT revoked_reason FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getString("revoked_reason"), sessionId);
  }

  /** The roles stored on a session. */
  public String[] sessionRoles(String sessionId) {
    return query("SELECT roles FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getArrayOfStrings("roles"), sessionId);
  }

  private List<String> ids(String statement, String userId) {
    return query(statement, rows -> {
      List<String> ids = new ArrayList<>();
      rows.forEach(row -> ids.add(row.getString("id")));
      return ids;
    }, userId);
  }

  // ---- SQL and waiting

  /** A direct pool on the test database, for assertions on rows. */
  public Pool sql() {
    if (sql == null) {
      sql = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(database.connectOptions()).using(nodes.get(0)).build();
    }
    return sql;
  }

  public <T> T query(String statement, Function<RowSet<Row>, T> read, Object... params) {
    return await(sql().preparedQuery(statement).execute(Tuple.from(params)).map(read));
  }

  /** Polls {@code condition} through a Vert.x timer of node 0 (never sleeping) until it holds or {@code boundMs} passes. */
  public boolean until(Supplier<Future<Boolean>> condition, long boundMs) {
    return Await.until(nodes.get(0), condition, boundMs);
  }

  /** Stops the cache handles, the pools, the modules and the fake user service, then leaves the cluster last node first. */
  @Override
  public void close() {
    for (PasswordCache cache : caches.values()) {
      await(cache.stop().otherwiseEmpty());
    }
    if (sql != null) {
      await(sql.close().otherwiseEmpty());
    }
    for (Pool pool : pools) {
      await(pool.close().otherwiseEmpty());
    }
    for (AuthModule module : modules) {
      await(module.undeploy().otherwiseEmpty(), 30);
    }
    if (users != null) {
      await(users.stop().otherwiseEmpty());
    }
    for (int i = nodes.size() - 1; i >= 0; i--) {
      await(nodes.get(i).close().otherwiseEmpty(), 30);
    }
  }
}
