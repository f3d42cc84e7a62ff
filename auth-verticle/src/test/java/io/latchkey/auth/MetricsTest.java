package io.latchkey.auth;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.common.bus.Credentials;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auth service's series (docs/OPERATING.md, "Metrics") counted by what the requests did:
 * logins by outcome, refreshes by outcome, validations by result, revocations by where they came
 * from, password-cache hits and misses; and each label takes only its documented values.
 */
@AuthTest(nodes = 2, settings = "LOGIN_ACCOUNT_MAX_FAILURES=3")
class MetricsTest {

  static Credentials carol;
  static Credentials dave;
  static Credentials erin;

  private final AuthFixture auth;

  MetricsTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    carol = users.add("carol", "carols long password");
    dave = users.add("dave", "daves long password");
    erin = users.add("erin", "erins long password");
  }

  private double count(int node, String name, String tag, String value) {
    Counter counter = auth.metrics(node).find(name).tag(tag, value).counter();
    assertThat(counter).as(name + "{" + tag + "=" + value + "} is registered on node " + node).isNotNull();
    return counter.count();
  }

  private double functionCount(int node, String name, String tag, String value) {
    var counter = auth.metrics(node).find(name).tag(tag, value).functionCounter();
    assertThat(counter).as(name + "{" + tag + "=" + value + "}").isNotNull();
    return counter.count();
  }

  @Test
  void loginsAreCountedByOutcome() {
    double success = count(0, "latchkey.logins", "outcome", "success");
    double wrong = count(0, "latchkey.logins", "outcome", "invalid_credentials");
    double locked = count(0, "latchkey.logins", "outcome", "locked");
    double misses = functionCount(0, "latchkey.password.cache.requests", "result", "miss");
    double hits = functionCount(0, "latchkey.password.cache.requests", "result", "hit");

    assertThat(auth.login(0, "carol", "carols long password").statusCode()).isEqualTo(200);
    assertThat(auth.login(0, "carol", "carols long password").statusCode()).isEqualTo(200);
    for (int i = 0; i < 3; i++) {
      assertThat(auth.login(0, "dave", "not daves password").statusCode()).isEqualTo(401);
    }
    assertThat(auth.login(0, "dave", "daves long password").statusCode()).as("locked after 3 failures").isEqualTo(429);
    // a request refused before it is an attempt (400) is no login
    assertThat(auth.postJson(0, "/auth/login", new JsonObject().put("login", "carol")).statusCode()).isEqualTo(400);

    assertThat(count(0, "latchkey.logins", "outcome", "success") - success).isEqualTo(2);
    assertThat(count(0, "latchkey.logins", "outcome", "invalid_credentials") - wrong).isEqualTo(3);
    assertThat(count(0, "latchkey.logins", "outcome", "locked") - locked).isEqualTo(1);
    assertThat(count(1, "latchkey.logins", "outcome", "success")).as("node 1 saw no login").isZero();
    // carol's first login filled the cache, the second hit it
    assertThat(functionCount(0, "latchkey.password.cache.requests", "result", "hit") - hits).isGreaterThanOrEqualTo(1);
    assertThat(functionCount(0, "latchkey.password.cache.requests", "result", "miss") - misses).isGreaterThanOrEqualTo(1);
  }

  @Test
  void refreshesAreCountedByOutcome() {
    double rotated = count(0, "latchkey.refreshes", "outcome", "rotated");
    double retry = count(0, "latchkey.refreshes", "outcome", "retry");
    double reused = count(0, "latchkey.refreshes", "outcome", "reused");
    double invalid = count(0, "latchkey.refreshes", "outcome", "invalid");

    TokenPair pair = auth.openSession(0, erin);
    JsonObject first = auth.refresh(0, pair.refreshToken()).bodyAsJsonObject();
    assertThat(auth.refresh(0, pair.refreshToken()).statusCode()).as("a retry inside the grace").isEqualTo(200);
    assertThat(auth.refresh(0, first.getString("refreshToken")).statusCode()).isEqualTo(200);
    assertThat(auth.refresh(0, pair.refreshToken()).bodyAsJsonObject().getString("code")).isEqualTo("refresh_token_reused");
    assertThat(auth.refresh(0, "not-a-refresh-token").statusCode()).isEqualTo(401);

    assertThat(count(0, "latchkey.refreshes", "outcome", "rotated") - rotated).isEqualTo(2);
    assertThat(count(0, "latchkey.refreshes", "outcome", "retry") - retry).isEqualTo(1);
    assertThat(count(0, "latchkey.refreshes", "outcome", "reused") - reused).isEqualTo(1);
    assertThat(count(0, "latchkey.refreshes", "outcome", "invalid") - invalid).isEqualTo(1);
  }

  @Test
  void validationsAndRevocationsAreCountedByResultAndSource() {
    TokenPair pair = auth.openSession(0, carol);
    double valid = count(1, "latchkey.token.validations", "result", "valid");
    double malformed = count(1, "latchkey.token.validations", "result", "malformed");
    double revoked = count(1, "latchkey.token.validations", "result", "revoked");
    double local = count(0, "latchkey.revocations.applied", "source", "local");
    double remoteOn1 = count(1, "latchkey.revocations.applied", "source", "remote");
    double remoteOn0 = count(0, "latchkey.revocations.applied", "source", "remote");

    assertThat(auth.validity(1, pair.accessToken())).isEqualTo("valid");
    assertThat(auth.validity(1, "no-token")).isEqualTo("malformed");
    assertThat(auth.bearer(0, HttpMethod.POST, "/auth/logout", pair.accessToken()).statusCode()).isEqualTo(204);
    assertThat(auth.until(() -> Future.succeededFuture(
      count(1, "latchkey.revocations.applied", "source", "remote") - remoteOn1 >= 1), 5000))
      .as("node 1 counts the revocation it received from node 0").isTrue();
    assertThat(auth.validity(1, pair.accessToken())).isEqualTo("revoked");

    assertThat(count(1, "latchkey.token.validations", "result", "valid") - valid).isEqualTo(1);
    assertThat(count(1, "latchkey.token.validations", "result", "malformed") - malformed).isEqualTo(1);
    assertThat(count(1, "latchkey.token.validations", "result", "revoked") - revoked).isEqualTo(1);
    assertThat(count(0, "latchkey.revocations.applied", "source", "local") - local).isEqualTo(1);
    assertThat(count(0, "latchkey.revocations.applied", "source", "remote") - remoteOn0)
      .as("node 0's own publish, back on its own consumer, is not remote").isZero();
  }

  @Test
  void everyLabelTakesOnlyItsDocumentedValues() {
    assertThat(values("latchkey.logins", "outcome")).containsExactlyInAnyOrder("success", "invalid_credentials", "locked",
      "disabled", "unverified", "unavailable", "overloaded", "error", "mfa_required", "mfa_failed", "mfa_token_invalid");
    assertThat(values("latchkey.refreshes", "outcome")).containsExactlyInAnyOrder("rotated", "retry", "reused", "invalid", "error");
    assertThat(values("latchkey.token.validations", "result")).containsExactlyInAnyOrder("valid", "malformed",
      "invalid_signature", "unknown_key", "expired", "revoked");
    assertThat(values("latchkey.revocations.applied", "source")).containsExactlyInAnyOrder("local", "remote", "reconcile");
    assertThat(values("latchkey.password.cache.requests", "result")).containsExactlyInAnyOrder("hit", "miss");
    assertThat(values("latchkey.bcrypt.queue.depth", "service")).containsExactly("auth");
  }

  private Set<String> values(String name, String tag) {
    Set<String> values = new TreeSet<>();
    for (Meter meter : auth.metrics(0).find(name).meters()) {
      values.add(meter.getId().getTag(tag));
    }
    return values;
  }
}
