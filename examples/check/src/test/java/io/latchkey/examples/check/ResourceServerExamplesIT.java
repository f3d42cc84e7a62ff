package io.latchkey.examples.check;

import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.examples.check.Processes.HTTP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The examples/ resource servers, packaged, against the packaged services (both in one process),
 * all as real processes: what a team following examples/README.md would run. Each example takes
 * a token Latchkey issued (200, with the token's subject and username) and refuses forged ones
 * (401); the Spring one configured with the issuer URL alone, and once more with another
 * audience (401); its introspection profile refuses a token the moment its session is logged out.
 */
class ResourceServerExamplesIT {

  private static final String VALIDATE_KEY = "examples-validate-key-" + UUID.randomUUID();
  private static final String PASSWORD = "a long passphrase 42";
  private static final List<Processes.Started> STARTED = new ArrayList<>();
  private static int authPort;
  private static int springPort;
  private static int springOtherAudiencePort;
  private static int springIntrospectionPort;
  private static int vertxPort;
  private static String userId;

  @BeforeAll
  static void startServicesThenExamples() throws Exception {
    DbConfig db = TestPostgres.freshDatabase();
    int userPort = TestNodes.freePort();
    authPort = TestNodes.freePort();
    int hazelcastPort = TestNodes.freePort();
    Path keys = Files.createTempDirectory("examples-check-keys");
    String issuer = "http://127.0.0.1:" + authPort;
    Processes.Started latchkey = started(Processes.start("latchkey", Processes.jar("latchkey.jar"), true, Map.ofEntries(
      Map.entry("LATCHKEY_CONF_DIR", Path.of(System.getProperty("latchkey.conf.dir", "../../conf")).toAbsolutePath().toString()),
      Map.entry("HAZELCAST_CLUSTER_NAME", "examples-" + UUID.randomUUID()),
      Map.entry("HAZELCAST_PORT", String.valueOf(hazelcastPort)),
      Map.entry("HAZELCAST_MEMBERS", "127.0.0.1:" + hazelcastPort),
      Map.entry("DATABASE_URL", "postgresql://" + db.user() + (db.password() == null ? "" : ":" + db.password()) + "@"
        + db.host() + ":" + db.port() + "/" + db.database()),
      Map.entry("USER_HTTP_PORT", String.valueOf(userPort)),
      Map.entry("AUTH_HTTP_PORT", String.valueOf(authPort)),
      // a free port, not the default 9181 a developer's ./scripts/run.sh may hold while the tests run
      Map.entry("MANAGEMENT_PORT", "0"),
      Map.entry("PUBLIC_URL", issuer),
      Map.entry("API_KEYS_VALIDATE", VALIDATE_KEY),
      Map.entry("JWT_KEYS_DIR", keys.toString()),
      Map.entry("BCRYPT_COST", "4"),
      Map.entry("LATCHKEY_DRAIN_SECONDS", "0")), "run", "--role", "all", "--instances", "1"));
    Processes.awaitStatus(latchkey, "http://127.0.0.1:" + userPort + "/health/ready", 200, 120);
    Processes.awaitStatus(latchkey, issuer + "/health/ready", 200, 120);

    HttpResponse<String> created = post("http://127.0.0.1:" + userPort + "/users", null,
      new JsonObject().put("username", "example-user").put("email", "example-user@example.com").put("password", PASSWORD));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    userId = new JsonObject(created.body()).getString("id");

    // the four example processes start side by side; each is waited for by its 401 to a request without a token
    Path spring = Processes.jar("example.spring.jar");
    springPort = TestNodes.freePort();
    springOtherAudiencePort = TestNodes.freePort();
    springIntrospectionPort = TestNodes.freePort();
    vertxPort = TestNodes.freePort();
    Processes.Started springJwt = started(Processes.start("spring", spring, false, Map.of(),
      "--server.port=" + springPort, "--latchkey.issuer=" + issuer));
    Processes.Started springOtherAudience = started(Processes.start("spring-other-audience", spring, false, Map.of(),
      "--server.port=" + springOtherAudiencePort, "--latchkey.issuer=" + issuer,
      "--spring.security.oauth2.resourceserver.jwt.audiences=another-service"));
    Processes.Started springIntrospection = started(Processes.start("spring-introspection", spring, false,
      Map.of("LATCHKEY_INTROSPECTION_KEY", VALIDATE_KEY),
      "--server.port=" + springIntrospectionPort, "--latchkey.issuer=" + issuer, "--spring.profiles.active=introspection"));
    Processes.Started vertx = started(Processes.start("vertx", Processes.jar("example.vertx.jar"), false,
      Map.of("LATCHKEY_ISSUER", issuer, "PORT", String.valueOf(vertxPort))));
    Processes.awaitStatus(springJwt, hello(springPort), 401, 120);
    Processes.awaitStatus(springOtherAudience, hello(springOtherAudiencePort), 401, 120);
    Processes.awaitStatus(springIntrospection, hello(springIntrospectionPort), 401, 120);
    Processes.awaitStatus(vertx, hello(vertxPort), 401, 120);
  }

  @AfterAll
  static void stopAll() throws Exception {
    for (Processes.Started p : STARTED) {
      p.close();
    }
  }

  @Test
  void springWithTheIssuerUrlAloneAcceptsLatchkeysTokenAndRefusesForgedOnes() throws Exception {
    String token = login();
    assertAccepted(springPort, token, "jwt");
    assertRefused(springPort, flipSignature(token));
    assertRefused(springPort, signedByAnotherKeyWithTheSameKid(token));
    assertRefused(springPort, null);
  }

  @Test
  void springRefusesAGenuineTokenMeantForAnotherAudience() throws Exception {
    String token = login();
    assertAccepted(springPort, token, "jwt");
    assertRefused(springOtherAudiencePort, token);
  }

  @Test
  void springWithIntrospectionRefusesATokenTheMomentItsSessionIsLoggedOut() throws Exception {
    String token = login();
    assertAccepted(springIntrospectionPort, token, "introspection");
    assertRefused(springIntrospectionPort, flipSignature(token));

    HttpResponse<String> logout = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + authPort + "/auth/logout"))
      .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30))
      .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(logout.statusCode()).as(logout.body()).isEqualTo(204);
    assertRefused(springIntrospectionPort, token);
    // the JWT profile checks signatures only: the same token still passes there until it expires
    assertAccepted(springPort, token, "jwt");
  }

  @Test
  void vertxAcceptsLatchkeysTokenAndRefusesForgedOnes() throws Exception {
    String token = login();
    assertAccepted(vertxPort, token, "jwt");
    assertRefused(vertxPort, flipSignature(token));
    assertRefused(vertxPort, signedByAnotherKeyWithTheSameKid(token));
    assertRefused(vertxPort, null);
  }

  private static Processes.Started started(Processes.Started p) {
    STARTED.add(p);
    return p;
  }

  private static String hello(int port) {
    return "http://127.0.0.1:" + port + "/hello";
  }

  private static String login() throws Exception {
    HttpResponse<String> login = post("http://127.0.0.1:" + authPort + "/auth/login", null,
      new JsonObject().put("login", "example-user").put("password", PASSWORD));
    assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
    return new JsonObject(login.body()).getString("accessToken");
  }

  private static HttpResponse<String> post(String url, String bearer, JsonObject body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
      .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> getHello(int port, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(hello(port))).timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertAccepted(int port, String token, String checkedBy) throws Exception {
    HttpResponse<String> hello = getHello(port, token);
    assertThat(hello.statusCode()).as(hello.body() + "\n" + transcripts()).isEqualTo(200);
    JsonObject body = new JsonObject(hello.body());
    assertThat(body.getString("subject")).isEqualTo(userId);
    assertThat(body.getString("username")).isEqualTo("example-user");
    assertThat(body.getString("checkedBy")).isEqualTo(checkedBy);
  }

  private static void assertRefused(int port, String token) throws Exception {
    HttpResponse<String> hello = getHello(port, token);
    assertThat(hello.statusCode()).as(hello.body() + "\n" + transcripts()).isEqualTo(401);
  }

  private static String transcripts() {
    StringBuilder all = new StringBuilder();
    STARTED.forEach(p -> all.append(p.transcript()).append('\n'));
    return all.toString();
  }

  /** The same token with one byte in the middle of its signature changed. */
  private static String flipSignature(String token) {
    String[] parts = token.split("\\.");
    byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
    signature[signature.length / 2] ^= 0x5a;
    return parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
  }

  /** The same header (kid and alg included) and claims, validly signed, but by a key Latchkey never had. */
  private static String signedByAnotherKeyWithTheSameKid(String token) throws Exception {
    String[] parts = token.split("\\.");
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initSign(generator.generateKeyPair().getPrivate());
    rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    return parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(rs256.sign());
  }
}
