package io.latchkey.user;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusAuth;
import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process that joins the cluster without the internal key (nothing stops it joining without
 * event-bus TLS) and registers its own {@code latchkey.auth.validate} consumer beside the real
 * one: it sees the requests, never the key, and its answers "valid, admin" are never believed.
 */
@UserServiceTest(nodes = 2)
class RogueBusMemberTest {

  @Test
  void aFakeValidateConsumerCannotMakeTheUserServiceAcceptAToken(UserServiceFixture f, @OnNode(1) Vertx rogueNode) {
    String victim = f.register("rogue_victim", "rogue_victim@example.com", "a sturdy passphrase").getString("id");
    AtomicInteger answered = new AtomicInteger();
    List<String> headerValuesSeen = new CopyOnWriteArrayList<>();
    // it answers like the auth service would for an admin, once without a signature, once signed with a key of its own
    BusAuth ownKey = new BusAuth(new ApiKeys(List.of("the rogue's own key"), List.of(), null));
    MessageConsumer<JsonObject> rogue = rogueNode.eventBus().consumer(BusAddresses.AUTH_VALIDATE, m -> {
      m.headers().forEach(h -> headerValuesSeen.add(h.getValue()));
      JsonObject admin = new JsonObject().put("valid", true).put("userId", victim).put("sessionId", "s").put("username", "rogue")
        .put("roles", new JsonArray().add("user").add("admin")).put("expiresAt", "2099-01-01T00:00:00Z");
      DeliveryOptions options = answered.incrementAndGet() % 2 == 0
        ? ownKey.signReply(m.headers().get(BusAuth.NONCE), admin, "rogue") : new DeliveryOptions();
      m.reply(admin, options);
    });
    await(rogue.completion());
    try {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/users/" + victim, null, Map.of("Authorization", "Bearer forged-" + i));
        statuses.add(response.statusCode());
      }
      assertThat(answered.get()).as("the rogue consumer did get requests (round-robin with the real one)").isPositive();
      assertThat(statuses).as("no forged token is ever accepted").doesNotContain(200).allMatch(s -> s == 401 || s == 503);
      assertThat(headerValuesSeen).as("no request carried the internal key").noneMatch(v -> v.contains(UserServiceFixture.FULL_KEY));
    } finally {
      await(rogue.unregister());
    }
  }
}
