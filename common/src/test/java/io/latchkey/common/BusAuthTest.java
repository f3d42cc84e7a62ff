package io.latchkey.common;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Signed bus messages: what is accepted (rotation) and what is not (other keys, old or future, replayed, altered). */
class BusAuthTest {

  private static final String ADDRESS = "test.bus-auth";
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** Sends {@code body} with {@code options} over a real (local) event bus and returns the message as received. */
  private static Message<JsonObject> deliver(JsonObject body, DeliveryOptions options) throws Exception {
    CompletableFuture<Message<JsonObject>> got = new CompletableFuture<>();
    var consumer = vertx.eventBus().<JsonObject>consumer(ADDRESS, got::complete);
    consumer.completion().await();
    try {
      vertx.eventBus().send(ADDRESS, body, options);
      return got.get(10, TimeUnit.SECONDS);
    } finally {
      consumer.unregister().await();
    }
  }

  private static ApiKeys keys(String... full) {
    return new ApiKeys(List.of(full), List.of(), full[0]);
  }

  @Test
  void aSignedRequestIsAcceptedByEveryNodeHoldingTheKeyDuringRotation() throws Exception {
    JsonObject body = new JsonObject().put("token", "t").put("n", 5);
    BusAuth sender = new BusAuth(keys("new-key"));
    Message<JsonObject> received = deliver(body, sender.signRequest(ADDRESS, body, "rid-1"));

    assertThat(new BusAuth(keys("old-key", "new-key")).verifyRequest(received).ok()).as("receiver with both keys").isTrue();
    assertThat(new BusAuth(keys("new-key")).verifyRequest(received).ok()).isTrue();
    assertThat(new BusAuth(keys("old-key")).verifyRequest(received).refusal()).as("receiver without it").isNotNull();
    assertThat(received.headers().names()).doesNotContain("x-api-key");
    received.headers().forEach(h -> assertThat(h.getValue()).doesNotContain("new-key"));
  }

  @Test
  void anAlteredBodyAddressOrRequestIdIsRefused() throws Exception {
    BusAuth auth = new BusAuth(keys("k"));
    JsonObject signedBody = new JsonObject().put("token", "a");
    DeliveryOptions options = auth.signRequest(ADDRESS, signedBody, "rid");
    assertThat(auth.verifyRequest(deliver(new JsonObject().put("token", "b"), options)).refusal()).isEqualTo("bad signature");
    DeliveryOptions forOtherAddress = auth.signRequest("other.address", signedBody, "rid");
    assertThat(auth.verifyRequest(deliver(signedBody, forOtherAddress)).refusal()).isEqualTo("bad signature");
    DeliveryOptions otherRid = auth.signRequest(ADDRESS, signedBody, "rid");
    otherRid.getHeaders().set(BusHeaders.REQUEST_ID, "rid-changed");
    assertThat(auth.verifyRequest(deliver(signedBody, otherRid)).refusal()).isEqualTo("bad signature");
    assertThat(auth.verifyRequest(deliver(signedBody, new DeliveryOptions())).refusal()).as("unsigned").isNotNull();
  }

  @Test
  void aMessageFromOutsideTheClockWindowIsRefused() throws Exception {
    JsonObject body = new JsonObject().put("x", 1);
    BusAuth receiver = new BusAuth(keys("k"));
    BusAuth late = new BusAuth(keys("k"), Clock.offset(Clock.systemUTC(), BusAuth.WINDOW.plus(Duration.ofSeconds(5)).negated()));
    BusAuth early = new BusAuth(keys("k"), Clock.offset(Clock.systemUTC(), BusAuth.WINDOW.plus(Duration.ofSeconds(5))));
    assertThat(receiver.verifyRequest(deliver(body, late.signRequest(ADDRESS, body, "r"))).refusal()).contains("window");
    assertThat(receiver.verifyRequest(deliver(body, early.signRequest(ADDRESS, body, "r"))).refusal()).contains("window");
    BusAuth slightlyOff = new BusAuth(keys("k"), Clock.offset(Clock.systemUTC(), Duration.ofSeconds(10)));
    assertThat(receiver.verifyRequest(deliver(body, slightlyOff.signRequest(ADDRESS, body, "r"))).ok()).isTrue();
  }

  @Test
  void aReplyIsGoodForItsOwnRequestOnlyAndANonceIsUsedOnce() throws Exception {
    BusAuth auth = new BusAuth(keys("k"));
    JsonObject reply = new JsonObject().put("valid", true);
    Message<JsonObject> received = deliver(reply, auth.signReply("nonce-1", reply, "rid"));
    assertThat(auth.verifyReply("nonce-1", received).ok()).isTrue();
    assertThat(auth.verifyReply("nonce-2", received).ok()).isFalse();
    assertThat(new BusAuth(keys("other")).verifyReply("nonce-1", received).ok()).isFalse();

    assertThat(auth.firstUse("n-1")).isTrue();
    assertThat(auth.firstUse("n-1")).as("a replay").isFalse();
    assertThat(auth.firstUse("n-2")).isTrue();
  }

  @Test
  void remembersANonceForTheWindowAndForgetsItAfterwards() {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
    Clock moving = new Clock() {
      @Override public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override public java.time.Instant instant() {
        return java.time.Instant.ofEpochMilli(now.get());
      }
    };
    BusAuth auth = new BusAuth(keys("k"), moving);
    assertThat(auth.firstUse("old")).isTrue();
    now.addAndGet(BusAuth.WINDOW.toMillis());
    assertThat(auth.firstUse("old")).as("still inside two windows: a replay").isFalse();
    now.addAndGet(2 * BusAuth.WINDOW.toMillis() + 1);
    assertThat(auth.firstUse("fresh")).isTrue();
    // "old" was forgotten by the purge; a message carrying it is refused anyway by its timestamp
    assertThat(auth.firstUse("old")).isTrue();
  }
}
