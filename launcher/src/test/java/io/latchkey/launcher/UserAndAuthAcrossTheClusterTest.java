package io.latchkey.launcher;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.NodeState;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.latchkey.launcher.keycloak.KeycloakExportTest;
import io.latchkey.launcher.keycloak.KeycloakImport;
import io.latchkey.launcher.keycloak.UserServiceClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two services as the launcher deploys them (its service plans, from settings and
 * environment), each on its own clustered Vert.x node, one database: a user's life from
 * registration to deletion, with the auth service's view checked after every change that the
 * user service announces over the bus.
 */
class UserAndAuthAcrossTheClusterTest {

  private static final ApiKeys KEYS = ApiKeys.fromEnvironment(Map.of(), Profile.DEVELOPMENT);
  private static final String PASSWORD = "a long passphrase 42";
  private static final String NEW_PASSWORD = "another long passphrase 43";

  @TempDir
  static Path keysDir;

  private static Vertx userNode;
  private static Vertx authNode;
  private static final List<ServicePlan.Deployed> deployed = new ArrayList<>();
  private static WebClient http;
  private static Pool db;
  private static int userPort;
  private static int authPort;

  @BeforeAll
  static void start() throws Exception {
    DbConfig database = TestPostgres.freshDatabase();
    Map<String, String> env = Map.of(
      "DATABASE_URL", "postgresql://" + database.user() + (database.password() == null ? "" : ":" + database.password())
        + "@" + database.host() + ":" + database.port() + "/" + database.database(),
      "USER_HTTP_PORT", "0", "AUTH_HTTP_PORT", "0", "BCRYPT_COST", "4", "BCRYPT_THREADS", "2",
      "JWT_KEYS_DIR", keysDir.toString());
    Settings settings = new Settings(new JsonObject(), env);
    ServicePlan userPlan = LaunchConfiguration.userService(settings, Profile.DEVELOPMENT);
    ServicePlan authPlan = LaunchConfiguration.authService(settings, Profile.DEVELOPMENT);

    TestNodes cluster = new TestNodes();
    userNode = await(cluster.start());
    userPort = deploy(userNode, userPlan);
    authNode = await(cluster.start());
    authPort = deploy(authNode, authPlan);
    http = WebClient.create(userNode);
    db = Database.pool(userNode, database);
  }

  private static int deploy(Vertx node, ServicePlan plan) throws Exception {
    NodeState state = new NodeState(UUID.randomUUID().toString());
    ServicePlan.Deployed service = await(plan.preparer().prepare().deploy(node, TestNodes.hazelcast(node), KEYS, state, 1,
      new SimpleMeterRegistry()));
    deployed.add(service);
    await(HealthRoutes.proveBusRoundTrip(node, state, 15_000));
    return service.httpPort();
  }

  @AfterAll
  static void stop() {
    for (int i = deployed.size() - 1; i >= 0; i--) {
      await(deployed.get(i).undeploy().get());
    }
    if (db != null) {
      await(db.close());
    }
    if (authNode != null) {
      await(authNode.close());
    }
    if (userNode != null) {
      await(userNode.close());
    }
  }

  @Test
  void aUsersLifeAsBothServicesSeeIt() {
    String name = "life" + UUID.randomUUID().toString().substring(0, 8);

    HttpResponse<Buffer> registered = call(userPort, HttpMethod.POST, "/users", null,
      new JsonObject().put("username", name).put("email", name + "@example.com").put("password", PASSWORD));
    assertThat(registered.statusCode()).as(registered.bodyAsString()).isEqualTo(201);
    String id = registered.bodyAsJsonObject().getString("id");

    // two sessions; the user service accepts their access tokens (it asks the auth node over the bus)
    JsonObject first = login(name, PASSWORD, 200);
    JsonObject second = login(name + "@EXAMPLE.com", PASSWORD, 200);
    assertThat(call(userPort, HttpMethod.GET, "/users/" + id, first.getString("accessToken"), null).statusCode()).isEqualTo(200);
    JsonObject me = call(authPort, HttpMethod.GET, "/auth/me", second.getString("accessToken"), null).bodyAsJsonObject();
    assertThat(me.getString("id")).isEqualTo(id);
    assertThat(me.getString("sessionId")).isEqualTo(second.getString("sessionId"));

    // password change through the user service with the first session: the second is revoked,
    // the old password is refused on the auth node as soon as the change has answered
    HttpResponse<Buffer> changed = call(userPort, HttpMethod.POST, "/users/" + id + "/change-password",
      first.getString("accessToken"), new JsonObject().put("currentPassword", PASSWORD).put("newPassword", NEW_PASSWORD));
    assertThat(changed.statusCode()).as(changed.bodyAsString()).isEqualTo(204);
    assertProblem(login(name, PASSWORD, 401), "invalid_credentials");
    assertThat(validate(second.getString("accessToken")).getBoolean("valid")).isFalse();
    assertProblem(call(userPort, HttpMethod.GET, "/users/" + id, second.getString("accessToken"), null), 401, "invalid_token");
    assertThat(call(userPort, HttpMethod.GET, "/users/" + id, first.getString("accessToken"), null).statusCode())
      .as("the session that changed the password stays").isEqualTo(200);
    JsonObject third = login(name, NEW_PASSWORD, 200);

    // logout on the auth node: the user service refuses the token at once
    assertThat(call(authPort, HttpMethod.POST, "/auth/logout", third.getString("accessToken"), null).statusCode()).isEqualTo(204);
    assertProblem(call(userPort, HttpMethod.GET, "/users/" + id, third.getString("accessToken"), null), 401, "invalid_token");

    // deletion through the user service: every token of the user is invalid, the login fails
    assertThat(call(userPort, HttpMethod.DELETE, "/users/" + id, first.getString("accessToken"), null).statusCode()).isEqualTo(204);
    JsonObject validation = validate(first.getString("accessToken"));
    assertThat(validation.getBoolean("valid")).isFalse();
    assertThat(validation.getString("reason")).isEqualTo("revoked");
    assertProblem(login(name, NEW_PASSWORD, 401), "invalid_credentials");

    // every notice was delivered (acknowledged) and applied, and every session is revoked in PostgreSQL
    Row outbox = await(db.preparedQuery("SELECT count(*) AS notices, count(delivered_at) AS delivered, "
      + "string_agg(type, ',' ORDER BY id) AS types FROM users.outbox WHERE user_id = $1").execute(Tuple.of(UUID.fromString(id))))
      .iterator().next();
    assertThat(outbox.getString("types")).isEqualTo("password_changed,user_deleted");
    assertThat(outbox.getLong("delivered")).isEqualTo(outbox.getLong("notices"));
    Row sessions = await(db.preparedQuery("SELECT count(*) AS total, count(revoked_at) AS revoked FROM auth.sessions WHERE user_id = $1")
      .execute(Tuple.of(UUID.fromString(id)))).iterator().next();
    assertThat(sessions.getLong("total")).isEqualTo(3);
    assertThat(sessions.getLong("revoked")).isEqualTo(3);
  }

  /**
   * Issue 15 end to end: a real Keycloak 26.7.3 realm export moved over by import-keycloak, then
   * every user with a password logs in with their Keycloak password through the auth node. The
   * first login re-hashes to bcrypt at the configured cost (4) with the same password version; the
   * second is served by that bcrypt hash. The disabled user (PBKDF2-SHA1) is refused after the right
   * password and keeps the imported hash; the user without a password cannot log in.
   */
  @Test
  void keycloakUsersLogInWithTheirPasswordsAndTheirHashesBecomeBcrypt() {
    KeycloakImport command = new KeycloakImport(new UserServiceClient(URI.create("http://127.0.0.1:" + userPort + "/"),
      KEYS.outgoing()), KeycloakImport.CHUNK, new PrintStream(OutputStream.nullOutputStream()),
      new PrintStream(OutputStream.nullOutputStream()));
    assertThat(command.run(KeycloakExportTest.INLINE)).isEqualTo(KeycloakImport.EXIT_OK);
    assertThat(command.created()).isEqualTo(6);

    for (String name : List.of("argon-alice", "umlaut-ute", "pbkdf-bob", "pbkdf-carol")) {
      String password = KeycloakExportTest.PASSWORDS.get(name);
      String imported = passwordHash(name);
      assertThat(imported).as(name).doesNotStartWith("$2");
      assertProblem(login(name, password + "x", 401), "invalid_credentials");
      assertThat(passwordHash(name)).as("a wrong password upgrades nothing").isEqualTo(imported);

      login(name, password, 200);
      String upgraded = passwordHash(name);
      assertThat(upgraded).as(name + ": bcrypt after the first login").startsWith("$2a$04$");
      assertThat(row(name).getLong("password_version")).as("same password, same version").isEqualTo(1L);

      login(name, password, 200);
      assertThat(passwordHash(name)).as(name + ": the second login is served by the bcrypt hash").isEqualTo(upgraded);
    }
    String dave = passwordHash("pbkdf-dave");
    assertProblem(login("pbkdf-dave", KeycloakExportTest.PASSWORDS.get("pbkdf-dave"), 403), "account_disabled");
    assertThat(passwordHash("pbkdf-dave")).as("a refused login upgrades nothing").isEqualTo(dave).startsWith("$pbkdf2-sha1$");
    assertProblem(login("nopass-erin", "anything at all 1", 401), "invalid_credentials");
  }

  private static Row row(String username) {
    return await(db.preparedQuery("SELECT password_hash, password_version FROM users.users WHERE username = $1")
      .execute(Tuple.of(username))).iterator().next();
  }

  private static String passwordHash(String username) {
    return row(username).getString("password_hash");
  }

  private static JsonObject login(String login, String password, int expectedStatus) {
    HttpResponse<Buffer> response = call(authPort, HttpMethod.POST, "/auth/login", null,
      new JsonObject().put("login", login).put("password", password));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(expectedStatus);
    return response.bodyAsJsonObject();
  }

  private static JsonObject validate(String token) {
    HttpResponse<Buffer> response = await(http.post(authPort, "127.0.0.1", "/auth/validate-token")
      .putHeader("X-API-Key", ApiKeys.DEVELOPMENT_KEY)
      .sendJsonObject(new JsonObject().put("token", token)));
    assertThat(response.statusCode()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> call(int port, HttpMethod method, String path, String bearer, JsonObject body) {
    HttpRequest<Buffer> request = http.request(method, port, "127.0.0.1", path).timeout(10_000);
    if (bearer != null) {
      request.putHeader("Authorization", "Bearer " + bearer);
    }
    return await(body == null ? request.send() : request.sendJsonObject(body));
  }

  private static void assertProblem(JsonObject problem, String code) {
    assertThat(problem.getString("code")).as(problem.encode()).isEqualTo(code);
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
    assertProblem(response.bodyAsJsonObject(), code);
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("a step did not complete: " + e, e);
    }
  }
}
