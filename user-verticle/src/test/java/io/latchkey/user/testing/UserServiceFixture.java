package io.latchkey.user.testing;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.DbConfig;
import io.latchkey.common.NodeState;
import io.latchkey.common.Settings;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.user.UserConfig;
import io.latchkey.user.UserModule;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;

/**
 * The user service deployed on a (clustered) test node against a fresh PostgreSQL database,
 * with a fake auth service on the bus, an HTTP client and direct SQL for assertions.
 */
public final class UserServiceFixture {

  public static final String FULL_KEY = "test-full-key-0123456789";
  public static final String VALIDATE_KEY = "test-validate-key-0123456789";
  public static final ApiKeys KEYS = new ApiKeys(List.of(FULL_KEY), List.of(VALIDATE_KEY), FULL_KEY);

  public final Vertx vertx;
  public final DbConfig database;
  public final UserModule module;
  public final NodeState state;
  public final WebClient http;
  public final FakeAuthService auth;
  /** The SMTP server the service sends to (null when the test started the service without one). */
  public final TestMailServer mail;

  private UserServiceFixture(Vertx vertx, DbConfig database, UserModule module, NodeState state, FakeAuthService auth,
                             TestMailServer mail) {
    this.vertx = vertx;
    this.database = database;
    this.module = module;
    this.state = state;
    this.http = WebClient.create(vertx);
    this.auth = auth;
    this.mail = mail;
  }

  /** Test settings: bcrypt cost 4, a fast relay; {@code overrides} are environment-style settings. */
  public static UserConfig config(DbConfig database, Map<String, String> overrides) {
    return config(database, overrides, null);
  }

  /** As {@link #config(DbConfig, Map)}, with {@code conf} as the service's {@code conf/user.json} (null: none). */
  public static UserConfig config(DbConfig database, Map<String, String> overrides, JsonObject conf) {
    Map<String, String> env = new HashMap<>();
    env.put("USER_HTTP_HOST", "127.0.0.1");
    env.put("BCRYPT_COST", "4");
    env.put("BCRYPT_THREADS", "2");
    env.put("BCRYPT_QUEUE", "256");
    // the test classes register many users from 127.0.0.1; RegistrationLimitTest sets its own limit
    env.put("REGISTRATION_IP_MAX", "100000");
    env.put("NOTICE_WAIT_MS", "2000");
    env.put("BUS_TIMEOUT_MS", "2000");
    env.put("RELAY_SWEEP_MS", "100");
    env.put("RELAY_BACKOFF_MIN_MS", "50");
    env.put("RELAY_BACKOFF_MAX_MS", "400");
    env.put("MAIL_SWEEP_MS", "200");
    env.put("MAIL_BACKOFF_MIN_MS", "50");
    env.put("MAIL_BACKOFF_MAX_MS", "400");
    env.put("MAIL_SEND_TIMEOUT_MS", "5000");
    // the tests run the retention themselves when they test it
    env.put("RETENTION_INTERVAL_SECONDS", "0");
    env.putAll(overrides);
    return UserConfig.from(new Settings(conf, env)).with(database, 0);
  }

  /**
   * Deploys on {@code vertx} against {@code database}, with the fake auth validator and sync
   * receiver when {@code withAuth}. Test classes get theirs from {@link UserServiceTest}.
   */
  public static UserServiceFixture start(Vertx vertx, DbConfig database, Map<String, String> overrides, boolean withAuth,
                                         int instances) {
    return start(vertx, database, overrides, withAuth, instances, null);
  }

  public static UserServiceFixture start(Vertx vertx, DbConfig database, Map<String, String> overrides, boolean withAuth,
                                         int instances, TestMailServer mail) {
    NodeState state = new NodeState("test-" + UUID.randomUUID());
    UserModule module = await(UserModule.deploy(vertx, vertx.isClustered() ? TestNodes.hazelcast(vertx) : null, config(database, overrides), KEYS,
      state, instances), 60);
    FakeAuthService auth = new FakeAuthService(vertx, KEYS);
    if (withAuth) {
      await(auth.startValidator());
      await(auth.startSync());
      await(auth.startPasswordChecks());
    }
    return new UserServiceFixture(vertx, database, module, state, auth, mail);
  }

  public void stop() {
    http.close();
    await(module.undeploy());
  }

  // ---- HTTP

  public HttpRequest<Buffer> request(HttpMethod method, String path) {
    return http.request(method, module.httpPort(), "127.0.0.1", path);
  }

  public HttpResponse<Buffer> send(HttpMethod method, String path, JsonObject body, Map<String, String> headers) {
    HttpRequest<Buffer> request = request(method, path);
    headers.forEach(request::putHeader);
    return await(body == null ? request.send() : request.sendJsonObject(body));
  }

  public HttpResponse<Buffer> sendRaw(HttpMethod method, String path, String body, Map<String, String> headers) {
    HttpRequest<Buffer> request = request(method, path).putHeader("Content-Type", "application/json");
    headers.forEach(request::putHeader);
    return await(request.sendBuffer(Buffer.buffer(body)));
  }

  public static Map<String, String> key() {
    return Map.of("X-API-Key", FULL_KEY);
  }

  public static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  /** Registers a user over HTTP (asserting 201) and returns the response body. */
  public JsonObject register(String username, String email, String password) {
    HttpResponse<Buffer> response = send(HttpMethod.POST, "/users",
      new JsonObject().put("username", username).put("email", email).put("password", password), Map.of());
    if (response.statusCode() != 201) {
      throw new AssertionError("registration of " + username + " answered " + response.statusCode() + " " + response.bodyAsString());
    }
    return response.bodyAsJsonObject();
  }

  /** A registered user with a valid bearer token of the given roles: {"user": {...}, "token": "..."}. */
  public JsonObject userWithToken(String username, String... roles) {
    JsonObject user = register(username, username + "@example.com", "correct horse " + username);
    String token = auth.issueToken(user.getString("id"), username, roles.length == 0 ? new String[] {"user"} : roles);
    return new JsonObject().put("user", user).put("token", token);
  }

  // ---- SQL for assertions (JDBC from the test thread)

  /** A JDBC connection of the test's own to the service's database (close it). */
  public Connection connect() throws SQLException {
    String url = "jdbc:postgresql://" + database.host() + ":" + database.port() + "/" + database.database();
    return DriverManager.getConnection(url, database.user(), database.password());
  }

  /** Runs a statement that returns no rows (seeding, ANALYZE); its update count. */
  public int execute(String sql, Object... params) {
    try (Connection c = connect(); PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      return st.executeUpdate();
    } catch (SQLException e) {
      throw new AssertionError("SQL failed: " + sql + ": " + e.getMessage(), e);
    }
  }

  public List<Map<String, Object>> rows(String sql, Object... params) {
    try (Connection c = connect(); PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
            row.put(rs.getMetaData().getColumnLabel(col), rs.getObject(col));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new AssertionError("SQL failed: " + sql + ": " + e.getMessage(), e);
    }
  }

  /** Runs statements that return nothing (setting up rows a test needs), one or several separated by semicolons. */
  public void execute(String sql) {
    String url = "jdbc:postgresql://" + database.host() + ":" + database.port() + "/" + database.database();
    try (Connection c = DriverManager.getConnection(url, database.user(), database.password());
         Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new AssertionError("SQL failed: " + sql + ": " + e.getMessage(), e);
    }
  }

  public Map<String, Object> userRow(String id) {
    List<Map<String, Object>> rows = rows("SELECT * FROM users.users WHERE id = ?::uuid", id);
    return rows.isEmpty() ? null : rows.get(0);
  }

  public List<Map<String, Object>> outboxRows(String userId) {
    return rows("SELECT * FROM users.outbox WHERE user_id = ?::uuid ORDER BY id", userId);
  }
}
