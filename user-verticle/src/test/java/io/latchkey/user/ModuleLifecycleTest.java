package io.latchkey.user;

import io.latchkey.common.DbConfig;
import io.latchkey.common.NodeState;
import io.latchkey.common.testing.TestPostgres;
import io.latchkey.user.testing.UserServiceFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.failure;
import static org.assertj.core.api.Assertions.assertThat;

/** Deploying and undeploying the module, and the bounded bcrypt queue (a local Vert.x is enough here). */
@ExtendWith(VertxExtension.class)
class ModuleLifecycleTest {

  @Test
  void severalHttpInstancesShareOnePortAndUndeployReleasesIt(Vertx vertx) {
    DbConfig db = TestPostgres.freshDatabase();
    int before = vertx.deploymentIDs().size();
    UserModule module = await(UserModule.deploy(vertx, null, UserServiceFixture.config(db, Map.of()), UserServiceFixture.KEYS,
      new NodeState("lifecycle"), 3), 60);
    assertThat(module.httpPort()).isPositive();
    // bus endpoints, notice relay, mail relay, the outboxes' backlog measurement, the retention, the HTTP verticle (3 instances)
    assertThat(vertx.deploymentIDs()).hasSize(before + 6);
    WebClient client = WebClient.create(vertx);
    for (int i = 0; i < 6; i++) {
      assertThat(await(client.get(module.httpPort(), "127.0.0.1", "/health/live").send()).statusCode()).isEqualTo(200);
    }
    await(module.undeploy());
    assertThat(vertx.deploymentIDs()).hasSize(before);
    assertThat(failure(client.get(module.httpPort(), "127.0.0.1", "/health/live").send())).isNotNull();
  }

  @Test
  void undeployLetsARequestInFlightFinish(Vertx vertx) {
    DbConfig db = TestPostgres.freshDatabase();
    // cost 14 keeps the registration's hash busy for about a second, long enough to undeploy under it
    UserModule module = await(UserModule.deploy(vertx, null, UserServiceFixture.config(db, Map.of("BCRYPT_COST", "14")),
      UserServiceFixture.KEYS, new NodeState("drain"), 1), 60);
    WebClient client = WebClient.create(vertx);
    Future<HttpResponse<Buffer>> inFlight = client.post(module.httpPort(), "127.0.0.1", "/users").sendJsonObject(new JsonObject()
      .put("username", "inflight").put("email", "inflight@example.com").put("password", "a sturdy passphrase"));
    // undeploy once the request has reached the server (it is then waiting on bcrypt)
    Future<Void> undeployed = vertx.timer(300).compose(t -> module.undeploy());
    HttpResponse<Buffer> response = await(inFlight, 60);
    await(undeployed, 60);
    assertThat(response.statusCode()).as("a graceful stop answers the request it already took").isEqualTo(201);
    assertThat(response.bodyAsJsonObject().getString("username")).isEqualTo("inflight");
  }

  @Test
  void aTakenPortFailsTheDeploymentAndLeavesNothingBehind(Vertx vertx) throws IOException {
    DbConfig db = TestPostgres.freshDatabase();
    int before = vertx.deploymentIDs().size();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Throwable err = failure(UserModule.deploy(vertx, null, UserServiceFixture.config(db, Map.of()).with(db, taken.getLocalPort()),
        UserServiceFixture.KEYS, new NodeState("taken"), 1));
      assertThat(err).isNotNull();
    }
    assertThat(vertx.deploymentIDs()).hasSize(before);
  }

  @Test
  void aFullPasswordHashingQueueIsOverloadedWithRetryAfter(Vertx vertx) {
    DbConfig db = TestPostgres.freshDatabase();
    UserModule module = await(UserModule.deploy(vertx, null, UserServiceFixture.config(db,
        Map.of("BCRYPT_COST", "10", "BCRYPT_THREADS", "1", "BCRYPT_QUEUE", "1")), UserServiceFixture.KEYS,
      new NodeState("overload"), 1), 60);
    try {
      WebClient client = WebClient.create(vertx);
      List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        calls.add(client.post(module.httpPort(), "127.0.0.1", "/users").sendJsonObject(new JsonObject()
          .put("username", "flood" + i).put("email", "flood" + i + "@example.com").put("password", "a sturdy passphrase")));
      }
      await(Future.join(calls), 60);
      List<HttpResponse<Buffer>> overloaded = calls.stream().map(Future::result).filter(r -> r.statusCode() == 503).toList();
      long created = calls.stream().filter(c -> c.result().statusCode() == 201).count();
      assertThat(created).as("the running hash and the queued one go through").isGreaterThanOrEqualTo(2);
      assertThat(overloaded).as("one thread and a queue of one cannot take twelve at once").isNotEmpty();
      assertThat(created + overloaded.size()).isEqualTo(12);
      for (HttpResponse<Buffer> response : overloaded) {
        assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("overloaded");
        assertThat(response.getHeader("Retry-After")).isNotBlank();
      }
    } finally {
      await(module.undeploy());
    }
  }
}
