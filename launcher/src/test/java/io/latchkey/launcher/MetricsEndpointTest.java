package io.latchkey.launcher;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.DbConfig;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.failure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /metrics on the management port of a real node (LATCHKEY_ROLE=all, as the launcher builds
 * it: its Vert.x with Micrometer, both services, one management server): the series the contract
 * names appear with their labels after a login, a refresh and validations; no label value carries
 * an id, even after requests to paths with ids in them and to unknown paths with ids; the port is
 * loopback by default and serves nothing but /metrics.
 */
class MetricsEndpointTest {

  private static final Pattern UUID_PATTERN = Pattern.compile(
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final String PASSWORD = "a long passphrase 42";

  @TempDir
  static Path keysDir;

  private static LatchkeyNode node;
  private static Vertx client;
  private static WebClient http;
  private static int userPort;
  private static int authPort;
  private static LaunchConfiguration config;

  @BeforeAll
  static void start() {
    DbConfig database = TestPostgres.freshDatabase();
    Map<String, String> env = Map.ofEntries(
      Map.entry("DATABASE_URL", TestPostgres.url(database)), Map.entry("DATABASE_POOL_SIZE", "4"),
      Map.entry("USER_HTTP_HOST", "127.0.0.1"), Map.entry("AUTH_HTTP_HOST", "127.0.0.1"),
      Map.entry("USER_HTTP_PORT", "0"), Map.entry("AUTH_HTTP_PORT", "0"), Map.entry("MANAGEMENT_PORT", "0"),
      Map.entry("BCRYPT_COST", "4"), Map.entry("BCRYPT_THREADS", "2"), Map.entry("JWT_KEYS_DIR", keysDir.toString()),
      // no SMTP server: the verification mails of the registrations stay in the mail outbox
      Map.entry("SMTP_PORT", String.valueOf(TestNodes.freePort())), Map.entry("OUTBOX_METRICS_MS", "1000"));
    Settings settings = new Settings(new JsonObject(), env);
    int hz = TestNodes.freePort();
    ClusterSettings cluster = new ClusterSettings("metrics-" + UUID.randomUUID(), List.of("127.0.0.1:" + hz), hz, "127.0.0.1", 1, 5);
    RunOptions options = new RunOptions(Role.ALL, 1, Path.of("conf"), Profile.DEVELOPMENT, 0, 10, LogFormat.TEXT);
    config = new LaunchConfiguration(options, ApiKeys.fromEnvironment(Map.of(), Profile.DEVELOPMENT), cluster, null,
      List.of(LaunchConfiguration.userService(settings, Profile.DEVELOPMENT), LaunchConfiguration.authService(settings, Profile.DEVELOPMENT)));
    node = await(new LatchkeyNode(config).start(), 120);
    userPort = node.services().get(0).httpPort();
    authPort = node.services().get(1).httpPort();
    client = Vertx.vertx();
    http = WebClient.create(client);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      await(node.stop(0), 60);
    }
    if (client != null) {
      await(client.close());
    }
  }

  @Test
  void theManagementServerIsOnLoopbackByDefaultAndOnlyServesMetrics() throws Exception {
    assertThat(config.services()).allSatisfy(plan -> assertThat(plan.management().host()).isEqualTo("127.0.0.1"));
    int port = node.managementPort();
    assertThat(port).isPositive().isNotIn(userPort, authPort);
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
    assertThat(get("/metrics").getHeader("Content-Type")).startsWith("text/plain; version=0.0.4");
    assertThat(get("/").statusCode()).isEqualTo(404);
    assertThat(get("/health/ready").statusCode()).as("the API is not served here").isEqualTo(404);
    assertThat(await(http.request(HttpMethod.POST, port, "127.0.0.1", "/metrics").send()).statusCode()).isEqualTo(405);
    // not reachable on this machine's other addresses
    for (InetAddress address : otherAddresses()) {
      Throwable refused = failure(client.createNetClient(new NetClientOptions().setConnectTimeout(2000))
        .connect(port, address.getHostAddress()));
      assertThat(refused).as("connecting to " + address + ":" + port).isNotNull();
    }
  }

  @Test
  void theContractsSeriesCountALoginARefreshAndValidations() {
    String name = "m" + UUID.randomUUID().toString().substring(0, 8);
    call(userPort, HttpMethod.POST, "/users", null, new JsonObject().put("username", name).put("email", name + "@example.com")
      .put("password", PASSWORD), 201);
    JsonObject pair = call(authPort, HttpMethod.POST, "/auth/login", null, new JsonObject().put("login", name).put("password", PASSWORD), 200)
      .bodyAsJsonObject();
    call(authPort, HttpMethod.POST, "/auth/login", null, new JsonObject().put("login", name).put("password", "wrong " + PASSWORD), 401);
    call(authPort, HttpMethod.POST, "/auth/refresh", null, new JsonObject().put("refreshToken", pair.getString("refreshToken")), 200);
    call(authPort, HttpMethod.POST, "/auth/refresh", null, new JsonObject().put("refreshToken", "x".repeat(43)), 401);
    validate(pair.getString("accessToken"));
    validate("not.a.token");

    String metrics = get("/metrics").bodyAsString();
    assertThat(value(metrics, "latchkey_logins_total", "outcome=\"success\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_logins_total", "outcome=\"invalid_credentials\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_refreshes_total", "outcome=\"rotated\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_refreshes_total", "outcome=\"invalid\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_token_validations_total", "result=\"valid\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_token_validations_total", "result=\"malformed\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_password_cache_requests_total", "result=\"hit\"")).isGreaterThanOrEqualTo(0);
    assertThat(value(metrics, "latchkey_bcrypt_queue_depth", "service=\"auth\"")).isGreaterThanOrEqualTo(0);
    assertThat(value(metrics, "latchkey_bcrypt_wait_seconds_count", "service=\"user\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "latchkey_cluster_size", "")).isEqualTo(1);
    assertThat(metrics).contains("latchkey_revocations_applied_total{source=\"local\"}", "latchkey_password_cache_size",
      "latchkey_outbox_backlog{outbox=\"notices\"}", "latchkey_outbox_oldest_age_seconds{outbox=\"mail\"}",
      "latchkey_db_pool_connections{service=\"auth\"}", "jvm_memory_used_bytes");
    // the retention's counter, one series per table of both services (label: the table's name)
    for (String table : List.of("users.outbox", "users.mail_outbox", "users.mail_tokens", "users.audit_events", "auth.sessions",
      "auth.retired_refresh_tokens", "auth.applied_user_notices", "auth.audit_events")) {
      assertThat(value(metrics, "latchkey_retention_deleted_total", "table=\"" + table + "\"")).as(table).isGreaterThanOrEqualTo(0);
    }
    // Vert.x's HTTP server histogram by route template
    assertThat(metrics).containsPattern("vertx_http_server_response_time_seconds_bucket\\{[^}]*route=\"/auth/login\"");
  }

  @Test
  void noLabelValueCarriesAnIdAfterRequestsToPathsWithIds() {
    String name = "n" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject user = call(userPort, HttpMethod.POST, "/users", null, new JsonObject().put("username", name)
      .put("email", name + "@example.com").put("password", PASSWORD), 201).bodyAsJsonObject();
    String id = user.getString("id");
    JsonObject pair = call(authPort, HttpMethod.POST, "/auth/login", null, new JsonObject().put("login", name).put("password", PASSWORD), 200)
      .bodyAsJsonObject();
    String bearer = pair.getString("accessToken");
    String other = UUID.randomUUID().toString();
    List<String> ids = List.of(id, pair.getString("sessionId"), other);
    call(userPort, HttpMethod.GET, "/users/" + id, bearer, null, 200);
    call(userPort, HttpMethod.GET, "/users/" + other, bearer, null, 403);
    call(userPort, HttpMethod.GET, "/users/by-username/" + other, null, null, 401);
    call(userPort, HttpMethod.GET, "/nothing/here/" + other, null, null, 404);
    call(userPort, HttpMethod.PATCH, "/users/" + other, bearer, null, 405);
    call(authPort, HttpMethod.DELETE, "/auth/sessions/" + other, bearer, null, 404);
    call(authPort, HttpMethod.GET, "/auth/nothing/" + other + "/x", null, null, 404);
    call(authPort, HttpMethod.GET, "/" + other, null, null, 404);
    call(authPort, HttpMethod.DELETE, "/auth/sessions/" + pair.getString("sessionId"), bearer, null, 204);

    String metrics = get("/metrics").bodyAsString();
    List<String> offending = new ArrayList<>();
    for (String line : metrics.split("\n")) {
      if (!line.startsWith("#") && (UUID_PATTERN.matcher(line).find() || ids.stream().anyMatch(line::contains)
        || ids.stream().anyMatch(i -> line.contains(i.replace("-", ""))) || line.contains("/nothing/"))) {
        offending.add(line);
      }
    }
    assertThat(offending).as("series whose labels carry an id or a raw path").isEmpty();
    // the requests were counted, by template
    assertThat(metrics).containsPattern("vertx_http_server_requests_total\\{[^}]*route=\"/users/:id\"");
  }

  /**
   * promtool's lint of the exposition (names, suffixes, help, types). Skipped only when promtool is
   * not installed; scripts/cluster-test.sh installs it and runs the same check against real nodes.
   */
  @Test
  void promtoolFindsNothingToCriticise() throws Exception {
    Path promtool = java.util.stream.Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
      .map(dir -> Path.of(dir, "promtool")).filter(java.nio.file.Files::isExecutable).findFirst().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(promtool != null, "promtool is not installed");
    call(authPort, HttpMethod.POST, "/auth/login", null, new JsonObject().put("login", "nobody").put("password", PASSWORD), 401);
    String metrics = get("/metrics").bodyAsString();
    Process process = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
    try (var in = process.getOutputStream()) {
      in.write(metrics.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("promtool check metrics:\n" + output).isZero();
  }

  // ---- helpers

  private static HttpResponse<Buffer> get(String path) {
    return await(http.get(node.managementPort(), "127.0.0.1", path).send());
  }

  private static HttpResponse<Buffer> call(int port, HttpMethod method, String path, String bearer, JsonObject body, int expected) {
    var request = http.request(method, port, "127.0.0.1", path).timeout(10_000);
    if (bearer != null) {
      request.bearerTokenAuthentication(bearer);
    }
    HttpResponse<Buffer> response = await(body == null ? request.send() : request.sendJsonObject(body));
    assertThat(response.statusCode()).as(method + " " + path + ": " + response.bodyAsString()).isEqualTo(expected);
    return response;
  }

  private static void validate(String token) {
    HttpResponse<Buffer> response = await(http.post(authPort, "127.0.0.1", "/auth/validate-token")
      .putHeader("X-API-Key", ApiKeys.DEVELOPMENT_KEY).sendJsonObject(new JsonObject().put("token", token)));
    assertThat(response.statusCode()).isEqualTo(200);
  }

  /** The value of the one sample of {@code series} whose labels contain {@code label}. */
  private static double value(String metrics, String series, String label) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + "(\\{[^}]*\\})? (\\S+)$").matcher(metrics);
    while (m.find()) {
      if (label.isEmpty() || (m.group(1) != null && m.group(1).contains(label))) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError("no sample of " + series + " with " + label + " in\n" + metrics);
  }

  private static List<InetAddress> otherAddresses() throws Exception {
    List<InetAddress> addresses = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        Collections.list(nic.getInetAddresses()).stream().filter(a -> a instanceof Inet4Address).forEach(addresses::add);
      }
    }
    return addresses;
  }
}
