package io.latchkey.user;

import com.hazelcast.map.IMap;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.user.service.RegistrationLimit;
import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.latchkey.user.testing.Problems.assertCompleteProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /users is limited per client IP (here 3 per hour), cluster-wide: two user services on
 * two nodes share one count; the client IP comes from X-Forwarded-For of the trusted proxy
 * (127.0.0.1 here); an IPv6 client counts per /64; the shared map never holds an IP.
 */
@UserServiceTest(nodes = 2, services = 2, settings = {"REGISTRATION_IP_MAX=3", "REGISTRATION_IP_WINDOW_SECONDS=3600",
  "TRUSTED_PROXIES=127.0.0.1"})
class RegistrationLimitTest {

  private static final AtomicInteger NAMES = new AtomicInteger();
  private final UserServiceFixture first;
  private final UserServiceFixture second;

  RegistrationLimitTest(UserServiceFixture first, @OnNode(1) UserServiceFixture second) {
    this.first = first;
    this.second = second;
  }

  private static HttpResponse<Buffer> register(UserServiceFixture on, String clientIp) {
    String name = "limited" + NAMES.incrementAndGet();
    return on.send(HttpMethod.POST, "/users", new JsonObject().put("username", name).put("email", name + "@example.com")
      .put("password", "a long passphrase 42"), Map.of("X-Forwarded-For", clientIp));
  }

  @Test
  void theFourthRegistrationFromOneIpIs429OnEitherNodeAndOtherIpsAreNotAffected() {
    assertThat(register(first, "203.0.113.5").statusCode()).isEqualTo(201);
    assertThat(register(second, "203.0.113.5").statusCode()).isEqualTo(201);
    // a refused registration counts too: the limit is on anonymous requests, not on accounts
    HttpResponse<Buffer> invalid = first.send(HttpMethod.POST, "/users", new JsonObject().put("username", "x"),
      Map.of("X-Forwarded-For", "203.0.113.5"));
    assertThat(invalid.statusCode()).isEqualTo(400);

    for (UserServiceFixture on : new UserServiceFixture[] {first, second}) {
      HttpResponse<Buffer> refused = register(on, "203.0.113.5");
      assertCompleteProblem(refused, 429, "too_many_requests");
      long retryAfter = Long.parseLong(refused.getHeader("Retry-After"));
      assertThat(retryAfter).isBetween(1L, 3600L);
    }
    assertThat(register(second, "203.0.113.6").statusCode()).isEqualTo(201);
    // the rightmost address the trusted proxy appended is the client; what the client wrote to its left is not believed
    assertThat(register(first, "198.51.100.1, 203.0.113.5").statusCode()).isEqualTo(429);
  }

  @Test
  void anIpv6ClientCountsPerSlash64() {
    assertThat(register(first, "2001:db8:7:1::1").statusCode()).isEqualTo(201);
    assertThat(register(second, "2001:db8:7:1::2").statusCode()).isEqualTo(201);
    assertThat(register(first, "2001:db8:7:1:ffff:ffff:ffff:fffe").statusCode()).isEqualTo(201);
    assertCompleteProblem(register(second, "2001:db8:7:1:1234::9"), 429, "too_many_requests");
    assertThat(register(first, "2001:db8:7:2::1").statusCode()).isEqualTo(201);
  }

  @Test
  void theSharedMapHoldsNoIp(Vertx node) {
    assertThat(register(first, "192.0.2.77").statusCode()).isEqualTo(201);
    IMap<String, String> counters = TestNodes.hazelcast(node).getMap(RegistrationLimit.MAP);
    assertThat(counters.keySet()).isNotEmpty();
    assertThat(counters.keySet()).allSatisfy(key -> {
      assertThat(key).doesNotContain("192.0.2").doesNotContain("203.0.113").doesNotContain("2001:db8")
        .matches("[A-Za-z0-9_-]{43}");
    });
  }
}
