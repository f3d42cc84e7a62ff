package io.latchkey.auth;

import io.latchkey.auth.token.JwtKeys;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.DbConfig;
import io.latchkey.common.NodeState;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
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

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;

/**
 * An auth service under test: clustered Vert.x nodes of a private test cluster, a fresh
 * PostgreSQL database, development JWT keys in a temporary folder, a fake user service on the
 * first node, and the real {@link AuthModule} deployed on as many nodes as asked, all sharing
 * the database (as real auth nodes do).
 */
public final class AuthFixture implements AutoCloseable {

  public static final String FULL_KEY = "test-full-key";
  public static final String VALIDATE_KEY = "test-validate-key";

  public final ApiKeys keys = new ApiKeys(List.of(FULL_KEY), List.of(VALIDATE_KEY), null);
  public final List<Vertx> nodes = new ArrayList<>();
  public final List<AuthModule> modules = new ArrayList<>();
  public final List<WebClient> clients = new ArrayList<>();
  public final DbConfig database;
  public final Path keysDir;
  public final Map<String, String> env = new HashMap<>();
  public FakeUserService users;
  private final TestNodes cluster = new TestNodes();
  private Pool sql;

  private AuthFixture(Map<String, String> overrides) {
    database = TestPostgres.freshDatabase();
    try {
      keysDir = Files.createTempDirectory("latchkey-keys");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    JwtKeys.generateDevelopmentKeys(keysDir);
    env.put("DATABASE_URL", url(database));
    env.put("JWT_KEYS_DIR", keysDir.toString());
    env.put("AUTH_HTTP_HOST", "127.0.0.1");
    env.put("AUTH_HTTP_PORT", "0");
    env.put("BCRYPT_COST", "4");
    env.put("BCRYPT_THREADS", "2");
    env.put("USER_SERVICE_TIMEOUT_MS", "700");
    env.put("SESSION_CLEANUP_INTERVAL_SECONDS", "0");
    env.put("REFRESH_TOKEN_SECRET", "a-test-refresh-secret-of-at-least-32-bytes");
    env.putAll(overrides);
  }

  /** {@code nodeCount} cluster nodes (started one after another), the fake user service on node 0, the module on each. */
  public static AuthFixture start(int nodeCount, Map<String, String> overrides) {
    AuthFixture fixture = new AuthFixture(overrides);
    for (int i = 0; i < nodeCount; i++) {
      fixture.nodes.add(await(fixture.cluster.start(), 60));
    }
    fixture.users = new FakeUserService(fixture.nodes.get(0), fixture.keys);
    await(fixture.users.start());
    for (int i = 0; i < nodeCount; i++) {
      fixture.deploy(i);
    }
    return fixture;
  }

  public static AuthFixture start(int nodeCount) {
    return start(nodeCount, Map.of());
  }

  public AuthConfig config() {
    return AuthConfig.from(new Settings(new JsonObject(), env), Profile.DEVELOPMENT);
  }

  /** Deploys (or redeploys) the module on node {@code i}. */
  public AuthModule deploy(int i) {
    Vertx vertx = nodes.get(i);
    AuthModule module = await(AuthModule.deploy(vertx, TestNodes.hazelcast(vertx), config(), keys, new NodeState("node-" + i + "-" + UUID.randomUUID()), 2), 60);
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

  public AuthModule module(int i) {
    return modules.get(i);
  }

  public HttpRequest<Buffer> request(int node, HttpMethod method, String path) {
    return clients.get(node).request(method, path);
  }

  public HttpResponse<Buffer> postJson(int node, String path, JsonObject body) {
    return await(request(node, HttpMethod.POST, path).sendJsonObject(body));
  }

  public HttpResponse<Buffer> postJson(int node, String path, JsonObject body, String header, String value) {
    return await(request(node, HttpMethod.POST, path).putHeader(header, value).sendJsonObject(body));
  }

  public HttpResponse<Buffer> bearer(int node, HttpMethod method, String path, String accessToken) {
    return await(request(node, method, path).bearerTokenAuthentication(accessToken).send());
  }

  /** A direct pool on the test database, for assertions on rows. */
  public Pool sql() {
    if (sql == null) {
      sql = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(database.connectOptions()).using(nodes.get(0)).build();
    }
    return sql;
  }

  public <T> T query(String statement, java.util.function.Function<io.vertx.sqlclient.RowSet<io.vertx.sqlclient.Row>, T> read,
                     Object... params) {
    return await(sql().preparedQuery(statement).execute(io.vertx.sqlclient.Tuple.from(params)).map(read));
  }

  @Override
  public void close() {
    if (sql != null) {
      await(sql.close());
    }
    for (AuthModule module : modules) {
      await(module.undeploy().otherwiseEmpty(), 30);
    }
    // leave the cluster last node first
    for (int i = nodes.size() - 1; i >= 0; i--) {
      await(nodes.get(i).close().otherwiseEmpty(), 30);
    }
  }

  static String url(DbConfig db) {
    String credentials = URLEncoder.encode(db.user(), StandardCharsets.UTF_8)
      + (db.password() == null ? "" : ":" + URLEncoder.encode(db.password(), StandardCharsets.UTF_8));
    return "postgresql://" + credentials + "@" + db.host() + ":" + db.port() + "/" + db.database();
  }

  static Future<Void> ignore(Future<?> f) {
    return f.<Void>mapEmpty().otherwiseEmpty();
  }
}
