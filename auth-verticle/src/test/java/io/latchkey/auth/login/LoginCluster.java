package io.latchkey.auth.login;

import io.latchkey.auth.bus.SyncConsumer;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.auth.cache.CacheSettings;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.http.LoginRoutes;
import io.latchkey.auth.http.PasswordCacheRoutes;
import io.latchkey.auth.http.SyncRoutes;
import io.latchkey.auth.http.TrustedProxies;
import io.latchkey.auth.sync.AppliedNotices;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.BcryptSettings;
import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.HttpServers;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.testing.Await;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The login side under test, without the sessions side: clustered Vert.x nodes of a private
 * test cluster, a fresh PostgreSQL database migrated with schema auth, the user service stood
 * in for on node 0, and on every node the real login side (password cache, throttling, sync,
 * and their routes) composed as {@link io.latchkey.auth.AuthModule} composes it, mounted on its
 * own router and HTTP server, with {@link RecordingSessions} and {@link HeaderRequestGuard} as
 * the seams.
 */
public final class LoginCluster implements AutoCloseable {

  public static final String FULL_KEY = "test-full-key";

  public final ApiKeys keys = new ApiKeys(List.of(FULL_KEY), List.of(), null);
  public final List<Vertx> nodes = new ArrayList<>();
  public final List<LoginSide> components = new ArrayList<>();
  public final List<RecordingSessions> sessions = new ArrayList<>();
  public final List<WebClient> clients = new ArrayList<>();
  private final List<Pool> pools = new ArrayList<>();
  private final List<BcryptPool> bcrypts = new ArrayList<>();
  private final List<HttpServer> servers = new ArrayList<>();
  public final DbConfig database = TestPostgres.freshDatabase();
  public final String cacheKey;
  public UserServiceStandIn users;
  private final TestNodes cluster = new TestNodes();
  private Pool sql;

  private LoginCluster() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    cacheKey = Base64.getEncoder().encodeToString(key);
  }

  /**
   * Starts one node per settings map (one after another); each map overrides the environment of
   * that node's settings (for example TRUSTED_PROXIES or throttling limits).
   */
  @SafeVarargs
  public static LoginCluster start(Map<String, String>... perNode) {
    LoginCluster c = new LoginCluster();
    for (int i = 0; i < perNode.length; i++) {
      c.nodes.add(await(c.cluster.start(), 60));
    }
    await(Database.migrate(c.nodes.get(0), c.database, "auth"), 60);
    c.users = new UserServiceStandIn(c.nodes.get(0), c.keys);
    await(c.users.start());
    for (int i = 0; i < perNode.length; i++) {
      c.deploy(i, perNode[i]);
    }
    return c;
  }

  /** The login side of one node: what {@link io.latchkey.auth.AuthModule} builds for it. */
  public record LoginSide(PasswordCache cache, LoginThrottle throttle, SyncService sync, SyncConsumer consumer) {
    Future<Void> start() {
      return cache.start().compose(v -> throttle.start()).compose(v -> consumer.start());
    }

    Future<Void> stop() {
      return consumer.stop().compose(v -> cache.stop());
    }
  }

  public Settings settings(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("PASSWORD_CACHE_KEY", cacheKey);
    env.put("BCRYPT_COST", "4");
    env.put("BCRYPT_THREADS", "2");
    env.putAll(overrides);
    return new Settings(new JsonObject(), env);
  }

  private void deploy(int i, Map<String, String> overrides) {
    Vertx vertx = nodes.get(i);
    Settings settings = settings(overrides);
    CacheSettings cacheSettings = CacheSettings.from(settings, Profile.DEVELOPMENT);
    BcryptSettings bcryptSettings = BcryptSettings.from(settings);
    Pool pool = Database.pool(vertx, database);
    BcryptPool bcrypt = new BcryptPool(vertx, bcryptSettings.threads(), bcryptSettings.queue(), bcryptSettings.cost());
    UserDirectory users = new UserDirectory(vertx.eventBus(), keys, 700);
    RecordingSessions recording = new RecordingSessions();
    VersionFloors floors = new VersionFloors(pool);
    CacheCipher cipher = new CacheCipher(cacheSettings.key());
    PasswordCache cache = new PasswordCache(vertx, TestNodes.hazelcast(vertx), cacheSettings, cipher, floors);
    LoginThrottle throttle = new LoginThrottle(vertx, TestNodes.hazelcast(vertx), ThrottleSettings.from(settings), cipher);
    SyncService sync = new SyncService(floors, new AppliedNotices(pool), cache, users, recording);
    LoginSide component = new LoginSide(cache, throttle, sync, new SyncConsumer(vertx, keys, sync));
    await(component.start());
    HeaderRequestGuard guard = new HeaderRequestGuard(keys);
    Router router = HttpServers.baseRouter(vertx);
    new LoginRoutes(new LoginService(cache, users, throttle, bcrypt, recording),
      TrustedProxies.parse(ApiKeys.split(settings.string("trustedProxies", "TRUSTED_PROXIES", "")))).mount(router);
    new SyncRoutes(sync, guard).mount(router);
    new PasswordCacheRoutes(cache, sync, guard).mount(router);
    HttpServer server = await(vertx.createHttpServer(HttpServers.options("127.0.0.1", 0)).requestHandler(router).listen());
    pools.add(pool);
    bcrypts.add(bcrypt);
    servers.add(server);
    components.add(component);
    sessions.add(recording);
    clients.add(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.actualPort())));
  }

  public HttpRequest<Buffer> request(int node, HttpMethod method, String path) {
    return clients.get(node).request(method, path);
  }

  public HttpResponse<Buffer> login(int node, String login, String password) {
    return await(request(node, HttpMethod.POST, "/auth/login")
      .sendJsonObject(new JsonObject().put("login", login).put("password", password)));
  }

  public HttpResponse<Buffer> loginFrom(int node, String forwardedFor, String login, String password) {
    return await(request(node, HttpMethod.POST, "/auth/login").putHeader("X-Forwarded-For", forwardedFor)
      .sendJsonObject(new JsonObject().put("login", login).put("password", password)));
  }

  public HttpResponse<Buffer> postWithKey(int node, String path, JsonObject body) {
    return await(request(node, HttpMethod.POST, path).putHeader("X-API-Key", FULL_KEY).sendJsonObject(body));
  }

  public Pool sql() {
    if (sql == null) {
      sql = Database.pool(nodes.get(0), database);
    }
    return sql;
  }

  public <T> T query(String statement, Function<RowSet<Row>, T> read, Object... params) {
    return await(sql().preparedQuery(statement).execute(Tuple.from(params)).map(read));
  }

  public static <T> T await(Future<T> future) {
    return Await.await(future);
  }

  public static <T> T await(Future<T> future, int seconds) {
    return Await.await(future, seconds);
  }

  /** The failure of a future that must fail. */
  public static Throwable failure(Future<?> future) {
    return Await.failure(future);
  }

  /** Polls {@code condition} through a Vert.x timer (never sleeping) until it holds or {@code boundMs} passes. */
  public boolean until(Supplier<Future<Boolean>> condition, long boundMs) {
    return Await.until(nodes.get(0), condition, boundMs);
  }

  @Override
  public void close() {
    for (HttpServer server : servers) {
      await(server.close().otherwiseEmpty());
    }
    for (LoginSide component : components) {
      await(component.stop().otherwiseEmpty());
    }
    if (users != null) {
      await(users.stop().otherwiseEmpty());
    }
    for (BcryptPool bcrypt : bcrypts) {
      bcrypt.close();
    }
    if (sql != null) {
      await(sql.close().otherwiseEmpty());
    }
    for (Pool pool : pools) {
      await(pool.close().otherwiseEmpty());
    }
    for (int i = nodes.size() - 1; i >= 0; i--) {
      await(nodes.get(i).close().otherwiseEmpty(), 30);
    }
  }
}
