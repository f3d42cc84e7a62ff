package io.latchkey.launcher;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar started as a real process: every failed start ends with a non-zero status
 * and ONE line naming the problem (no stack trace); a started node answers ready, and SIGTERM
 * turns readiness DOWN, drains, stops and leaves the cluster.
 */
class LauncherProcessIT {

  private static Vertx vertx;
  private static WebClient client;

  @BeforeAll
  static void client() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
  }

  @AfterAll
  static void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String databaseUrl(DbConfig db) {
    return "postgresql://" + db.user() + (db.password() == null ? "" : ":" + db.password()) + "@" + db.host() + ":"
      + db.port() + "/" + db.database();
  }

  private static void assertOneErrorLineAndNoStackTrace(LauncherProcess p, String expected) throws Exception {
    List<String> lines = p.lines();
    List<String> errors = lines.stream().filter(l -> l.contains(" ERROR ")).toList();
    assertThat(errors).as(p.transcript()).hasSize(1);
    assertThat(errors.get(0)).as(p.transcript()).contains("cannot start: " + expected);
    assertThat(lines).as("no stack trace at INFO\n" + p.transcript())
      .noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception in thread"));
  }

  @Test
  void aBadCommandLineIsOneLineOnStderrAndStatus2() throws Exception {
    try (LauncherProcess p = LauncherProcess.start(Map.of(), "run", "--role", "bogus")) {
      assertThat(p.exitStatus(60)).as(p.transcript()).isEqualTo(2);
      assertThat(p.err().lines().toList()).as(p.transcript())
        .containsExactly("latchkey: invalid role --role=bogus (expected user, auth or all) (java -jar latchkey.jar help shows the usage)");
      assertThat(p.out()).isEmpty();
    }
  }

  @Test
  void anInvalidSettingNamesTheVariableAndExits2() throws Exception {
    try (LauncherProcess p = LauncherProcess.start(Map.of("USER_HTTP_PORT", "eighty"), "run", "--role", "user")) {
      assertThat(p.exitStatus(60)).as(p.transcript()).isEqualTo(2);
      assertOneErrorLineAndNoStackTrace(p, "invalid configuration: invalid setting USER_HTTP_PORT=eighty");
    }
  }

  @Test
  void theProductionProfileRefusesToStartWithoutApiKeys() throws Exception {
    try (LauncherProcess p = LauncherProcess.start(Map.of("LATCHKEY_PROFILE", "production"), "run", "--role", "user")) {
      assertThat(p.exitStatus(60)).as(p.transcript()).isEqualTo(2);
      assertOneErrorLineAndNoStackTrace(p, "invalid configuration: the production profile needs API_KEYS");
    }
  }

  @Test
  void anUnreachableDatabaseIsNamedAndTheStartFailsWithStatus1() throws Exception {
    int closedPort = TestNodes.freePort();
    Map<String, String> env = new HashMap<>(LauncherProcess.isolatedCluster());
    env.put("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + closedPort + "/latchkey");
    env.put("USER_HTTP_PORT", "0");
    try (LauncherProcess p = LauncherProcess.start(env, "run", "--role", "user", "--instances", "1")) {
      assertThat(p.exitStatus(120)).as(p.transcript()).isEqualTo(1);
      assertOneErrorLineAndNoStackTrace(p, "user service: database unreachable at postgres@127.0.0.1:" + closedPort + "/latchkey");
    }
  }

  @Test
  void aTakenPortIsNamedAndTheStartFailsWithStatus1() throws Exception {
    DbConfig db = TestPostgres.freshDatabase();
    try (ServerSocket holder = new ServerSocket()) {
      holder.bind(new InetSocketAddress("0.0.0.0", 0));
      Map<String, String> env = new HashMap<>(LauncherProcess.isolatedCluster());
      env.put("DATABASE_URL", databaseUrl(db));
      env.put("USER_HTTP_PORT", String.valueOf(holder.getLocalPort()));
      env.put("BCRYPT_COST", "4");
      try (LauncherProcess p = LauncherProcess.start(env, "run", "--role", "user", "--instances", "1")) {
        assertThat(p.exitStatus(120)).as(p.transcript()).isEqualTo(1);
        assertOneErrorLineAndNoStackTrace(p, "user service: port " + holder.getLocalPort() + " is already in use");
      }
    }
  }

  @Test
  void keygenWritesPemKeysIntoTheFolder(@TempDir Path dir) throws Exception {
    Path keys = dir.resolve("keys");
    try (LauncherProcess p = LauncherProcess.start(Map.of(), "keygen", keys.toString())) {
      assertThat(p.exitStatus(60)).as(p.transcript()).isZero();
      assertThat(Files.readString(keys.resolve("jwt-private.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
      assertThat(Files.readString(keys.resolve("jwt-public.pem"))).startsWith("-----BEGIN PUBLIC KEY-----");
    }
    try (LauncherProcess p = LauncherProcess.start(Map.of(), "keygen", "--algorithm", "EdDSA", keys.toString())) {
      assertThat(p.exitStatus(60)).as(p.transcript()).isZero();
      // an Ed25519 PKCS#8 key (RFC 8410) is 48 bytes of DER: 64 base64 characters on one line
      assertThat(Files.readString(keys.resolve("jwt-eddsa-private.pem")))
        .matches("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI[A-Za-z0-9+/]{43}\n-----END PRIVATE KEY-----\n");
      assertThat(Files.readString(keys.resolve("jwt-eddsa-public.pem"))).startsWith("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA");
    }
  }

  @Test
  void sigtermTurnsReadinessDownThenStopsAndLeavesTheCluster() throws Exception {
    DbConfig db = TestPostgres.freshDatabase();
    int port = TestNodes.freePort();
    Map<String, String> env = new HashMap<>(LauncherProcess.isolatedCluster());
    env.put("DATABASE_URL", databaseUrl(db));
    env.put("USER_HTTP_PORT", String.valueOf(port));
    env.put("BCRYPT_COST", "4");
    env.put("LATCHKEY_DRAIN_SECONDS", "3");
    try (LauncherProcess p = LauncherProcess.start(env, "run", "--role", "user", "--instances", "1")) {
      HttpResponse<Buffer> ready = poll(port, r -> r.statusCode() == 200, 90_000);
      assertThat(ready.bodyAsJsonObject().getString("status")).isEqualTo("UP");
      String readyLine = p.lines().stream().filter(l -> l.contains("ready: user service on http://127.0.0.1:" + port))
        .findFirst().orElse(null);
      assertThat(readyLine).as(p.transcript()).isNotNull()
        .contains(ApiKeys.fingerprint(ApiKeys.DEVELOPMENT_KEY) + " (the development key)")
        .doesNotContain(ApiKeys.DEVELOPMENT_KEY);

      p.process.destroy(); // SIGTERM
      HttpResponse<Buffer> draining = poll(port, r -> r.statusCode() == 503, 3_000);
      JsonObject body = draining.bodyAsJsonObject();
      assertThat(body.getString("status")).isEqualTo("DOWN");
      assertThat(body.getBoolean("draining")).isTrue();

      assertThat(p.exitStatus(60)).as("the JVM's status after SIGTERM\n" + p.transcript()).isEqualTo(143);
      assertThat(p.out()).as(p.transcript()).contains("user service stopped").contains("stopped: node ")
        .doesNotContain(" ERROR ");
    }
  }

  /** Polls GET /health/ready every 100 ms until the predicate holds, for at most {@code boundMs}. */
  private static HttpResponse<Buffer> poll(int port, Predicate<HttpResponse<Buffer>> done, long boundMs)
    throws Exception {
    long until = System.currentTimeMillis() + boundMs;
    return pollOnce(port, done, until).toCompletionStage().toCompletableFuture()
      .get(boundMs + 5_000, TimeUnit.MILLISECONDS);
  }

  private static Future<HttpResponse<Buffer>> pollOnce(int port, Predicate<HttpResponse<Buffer>> done, long until) {
    return client.get(port, "127.0.0.1", "/health/ready").timeout(1000).send()
      .compose(r -> done.test(r) ? Future.succeededFuture(r) : Future.failedFuture("not yet: " + r.statusCode()))
      .recover(e -> System.currentTimeMillis() > until
        ? Future.failedFuture(new AssertionError("/health/ready on " + port + " never reached the expected state: " + e.getMessage()))
        : vertx.timer(100).compose(t -> pollOnce(port, done, until)));
  }
}
