package io.latchkey.launcher;

import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * LOG_FORMAT=json on the packaged jar, both services in one process: a registration and a login
 * later, every line the process wrote (stdout and stderr, start and stop included) is one JSON
 * object with time, level, logger, thread and message, and the login's lines carry its request
 * id as their own field.
 */
class JsonLogsIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void everyLineOfARunWithALoginIsAJsonObjectAndTheLoginsLinesCarryItsRequestId(@TempDir Path keys) throws Exception {
    DbConfig db = TestPostgres.freshDatabase();
    int userPort = TestNodes.freePort();
    int authPort = TestNodes.freePort();
    Map<String, String> env = new HashMap<>(LauncherProcess.isolatedCluster());
    env.put("DATABASE_URL", "postgresql://" + db.user() + (db.password() == null ? "" : ":" + db.password()) + "@"
      + db.host() + ":" + db.port() + "/" + db.database());
    env.put("USER_HTTP_PORT", String.valueOf(userPort));
    env.put("AUTH_HTTP_PORT", String.valueOf(authPort));
    env.put("JWT_KEYS_DIR", keys.toString());
    env.put("BCRYPT_COST", "4");
    env.put("LATCHKEY_DRAIN_SECONDS", "0");
    env.put("LOG_FORMAT", "json");
    String password = "a long passphrase 42";
    String requestId = "json-logs-it-" + UUID.randomUUID();
    try (LauncherProcess p = LauncherProcess.start(env, "run", "--role", "all", "--instances", "1")) {
      awaitReady(p, userPort);
      awaitReady(p, authPort);
      HttpResponse<String> created = post(userPort, "/users", "register-" + requestId,
        new JsonObject().put("username", "jsonlogs").put("email", "jsonlogs@example.com").put("password", password));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      String userId = new JsonObject(created.body()).getString("id");
      HttpResponse<String> login = post(authPort, "/auth/login", requestId,
        new JsonObject().put("login", "jsonlogs").put("password", password));
      assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
      String accessToken = new JsonObject(login.body()).getString("accessToken");

      p.process.destroy(); // SIGTERM: the stop's lines are checked too
      assertThat(p.exitStatus(60)).as(p.transcript()).isEqualTo(143);

      List<JsonObject> events = new ArrayList<>();
      for (String line : p.lines()) {
        try {
          events.add(new JsonObject(line));
        } catch (DecodeException e) {
          fail("a line that is not one JSON object: " + line + "\n" + p.transcript());
        }
      }
      assertThat(events).as(p.transcript()).hasSizeGreaterThan(5);
      for (JsonObject event : events) {
        assertThat(event.fieldNames()).as(event.encode()).contains("time", "level", "logger", "thread", "message");
      }
      List<JsonObject> loginLines = events.stream().filter(e -> requestId.equals(e.getString("requestId"))).toList();
      assertThat(loginLines).as(p.transcript())
        .anySatisfy(e -> assertThat(e.getString("message")).isEqualTo("login of user " + userId + " succeeded: session "
          + new JsonObject(login.body()).getString("sessionId")))
        .allSatisfy(e -> assertThat(e.getString("message")).doesNotContain(requestId));
      assertThat(events).as("the ready line, outside any request").anySatisfy(e -> {
        assertThat(e.getString("message")).startsWith("ready: ");
        assertThat(e.containsKey("requestId")).isFalse();
      });
      assertThat(String.join("\n", p.lines())).as("no secret in the log").doesNotContain(password, accessToken);
    }
  }

  private static HttpResponse<String> post(int port, String path, String requestId, JsonObject body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .header("Content-Type", "application/json").header("X-Request-Id", requestId)
      .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
      HttpResponse.BodyHandlers.ofString());
  }

  /** Polls GET /health/ready every 100 ms until 200, for at most 120 s (a bound on waiting, not a timing assertion). */
  static void awaitReady(LauncherProcess p, int port) throws Exception {
    long until = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < until) {
      if (!p.process.isAlive()) {
        fail("the process ended before it was ready\n" + p.transcript());
      }
      try {
        HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
          .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
        if (ready.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      // the next look in 100 ms: a bounded poll of a process that is starting
      java.util.concurrent.CompletableFuture.runAsync(() -> { },
        java.util.concurrent.CompletableFuture.delayedExecutor(100, java.util.concurrent.TimeUnit.MILLISECONDS)).join();
    }
    fail("port " + port + " never became ready\n" + p.transcript());
  }
}
