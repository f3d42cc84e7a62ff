package io.latchkey.user;

import io.latchkey.common.BusAddresses;
import io.latchkey.common.bus.UserNotice;
import io.latchkey.user.testing.FakeAuthService.Received;
import io.latchkey.user.testing.FakeAuthService;
import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.until;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbox: notices survive an absent auth service and arrive once it is there, in order per
 * user, once each after deduplication; a failing user holds back only their own notices; two
 * user nodes on one database relay side by side without sending one notice twice at once.
 * The receiver (a fake auth service) sits on another clustered node than the user service.
 */
@UserServiceTest(nodes = 2, services = 2, fakeAuth = false, settings = "NOTICE_WAIT_MS=300")
class OutboxDeliveryTest {

  private static Vertx userNode;
  private static UserServiceFixture f;
  private static UserServiceFixture second;
  private static FakeAuthService receiver;
  private static final List<JsonObject> broadcast = new CopyOnWriteArrayList<>();
  private static final List<String> broadcastHeaderValues = new CopyOnWriteArrayList<>();
  private static MessageConsumer<JsonObject> broadcastConsumer;

  /** A user service on each node, one database; the receiver of notices and broadcasts sits on the second node. */
  @BeforeAll
  static void start(Vertx node, UserServiceFixture first, @OnNode(1) Vertx peerNode, @OnNode(1) UserServiceFixture other) {
    userNode = node;
    f = first;
    second = other;
    receiver = new FakeAuthService(peerNode, UserServiceFixture.KEYS);
    // a subscriber needs no key: user events carry no secret
    broadcastConsumer = peerNode.eventBus().consumer(BusAddresses.USER_EVENTS, m -> {
      broadcast.add(m.body());
      m.headers().forEach(h -> broadcastHeaderValues.add(h.getValue()));
    });
    await(broadcastConsumer.completion());
  }

  private static int undelivered(String userId) {
    return f.rows("SELECT 1 FROM users.outbox WHERE user_id = ?::uuid AND delivered_at IS NULL", userId).size();
  }

  private static boolean allDelivered(List<String> userIds) {
    return userIds.stream().allMatch(id -> undelivered(id) == 0);
  }

  private static List<Long> eventIds(String userId) {
    List<Long> ids = new ArrayList<>();
    f.outboxRows(userId).forEach(r -> ids.add((Long) r.get("id")));
    return ids;
  }

  /** Event ids of this user in the order they first reached the receiver. */
  private static List<Long> firstArrivals(String userId) {
    List<Long> order = new ArrayList<>();
    for (Received r : receiver.received()) {
      if (r.notice().userId().equals(userId) && !order.contains(r.notice().eventId())) {
        order.add(r.notice().eventId());
      }
    }
    return order;
  }

  private static HttpResponse<Buffer> changeEmail(UserServiceFixture via, String id, String email, String requestId) {
    return via.send(HttpMethod.PUT, "/users/" + id, new JsonObject().put("email", email), Map.of("X-API-Key", UserServiceFixture.FULL_KEY,
      "X-Request-Id", requestId));
  }

  @Test
  void noticesWrittenWhileTheAuthServiceIsAbsentArriveInOrderOnceItIsThere() {
    String ann = f.register("ob_ann", "ob_ann@example.com", "a sturdy passphrase").getString("id");
    String ben = f.register("ob_ben", "ob_ben@example.com", "a sturdy passphrase").getString("id");

    // every change answers although nobody acknowledges (after the notice wait bound), and is kept
    assertThat(changeEmail(f, ann, "ob_ann2@example.com", "trace-ann-1").statusCode()).isEqualTo(200);
    assertThat(f.send(HttpMethod.PUT, "/users/" + ann + "/roles", new JsonObject().put("roles", new JsonArray().add("admin")), key())
      .statusCode()).isEqualTo(200);
    assertThat(f.send(HttpMethod.POST, "/users/" + ann + "/change-password", new JsonObject().put("newPassword", "ann's new passphrase"),
      key()).statusCode()).isEqualTo(204);
    assertThat(changeEmail(second, ben, "ob_ben2@example.com", "trace-ben-1").statusCode()).isEqualTo(200);
    assertThat(second.send(HttpMethod.DELETE, "/users/" + ben, null, key()).statusCode()).isEqualTo(204);

    assertThat(f.userRow(ann).get("email")).as("the change itself is never undone").isEqualTo("ob_ann2@example.com");
    assertThat(f.userRow(ben)).isNull();
    assertThat(undelivered(ann)).isEqualTo(3);
    assertThat(undelivered(ben)).isEqualTo(2);
    long annHead = eventIds(ann).get(0);
    assertThat(until(userNode, () -> Future.succeededFuture(
      (Integer) f.rows("SELECT attempts FROM users.outbox WHERE id = ?", annHead).get(0).get("attempts") >= 3), 5000))
      .as("the relay keeps retrying the oldest notice").isTrue();
    assertThat(f.rows("SELECT attempts FROM users.outbox WHERE user_id = ?::uuid AND id > ?", ann, annHead))
      .as("later notices wait behind it").allMatch(r -> (Integer) r.get("attempts") == 0);

    await(receiver.startSync());
    try {
      assertThat(until(userNode, () -> Future.succeededFuture(allDelivered(List.of(ann, ben))), 15_000)).isTrue();
    } finally {
      await(receiver.stopSync());
    }

    assertThat(firstArrivals(ann)).as("in order per user").containsExactlyElementsOf(eventIds(ann));
    assertThat(firstArrivals(ben)).containsExactlyElementsOf(eventIds(ben));
    Map<Long, UserNotice> applied = receiver.applied();
    assertThat(eventIds(ann)).allMatch(applied::containsKey);
    assertThat(eventIds(ben)).allMatch(applied::containsKey);
    assertThat(eventIds(ann).stream().map(id -> applied.get(id).type()))
      .containsExactly(UserNotice.Type.EMAIL_CHANGED, UserNotice.Type.ROLES_CHANGED, UserNotice.Type.PASSWORD_CHANGED);
    assertThat(applied.get(eventIds(ann).get(2)).passwordVersion()).isEqualTo(2L);
    assertThat(eventIds(ben).stream().map(id -> applied.get(id).type()))
      .containsExactly(UserNotice.Type.EMAIL_CHANGED, UserNotice.Type.USER_DELETED);
    assertThat(receiver.received().stream().filter(r -> r.notice().eventId() == eventIds(ann).get(0)).map(Received::requestId))
      .as("X-Request-Id travels with the notice").containsOnly("trace-ann-1");

    assertThat(until(userNode, () -> Future.succeededFuture(broadcast.stream()
      .filter(b -> b.getString("userId").equals(ann) || b.getString("userId").equals(ben)).count() >= 5), 5000)).isTrue();
    assertThat(broadcast).allMatch(b -> b.getInteger("schemaVersion") == UserNotice.SCHEMA_VERSION);
    assertThat(broadcastHeaderValues).as("no key, nor anything derived from it, rides on user events")
      .noneMatch(v -> v.contains(UserServiceFixture.FULL_KEY)).isNotEmpty();
    assertThat(broadcast).allMatch(b -> !b.encode().contains(UserServiceFixture.FULL_KEY));
  }

  @Test
  void aNoticeThatKeepsFailingHoldsBackOnlyItsOwnUser() {
    String cat = f.register("ob_cat", "ob_cat@example.com", "a sturdy passphrase").getString("id");
    String dan = f.register("ob_dan", "ob_dan@example.com", "a sturdy passphrase").getString("id");
    receiver.refuse(cat);
    await(receiver.startSync());
    try {
      assertThat(changeEmail(f, cat, "ob_cat2@example.com", "trace-cat-1").statusCode()).isEqualTo(200);
      assertThat(changeEmail(f, cat, "ob_cat3@example.com", "trace-cat-2").statusCode()).isEqualTo(200);
      assertThat(changeEmail(f, dan, "ob_dan2@example.com", "trace-dan-1").statusCode()).isEqualTo(200);

      assertThat(undelivered(dan)).as("acknowledged within the wait bound").isZero();
      List<Long> catEvents = eventIds(cat);
      assertThat(until(userNode, () -> Future.succeededFuture(
        receiver.received().stream().filter(r -> r.notice().eventId() == catEvents.get(0)).count() >= 3), 5000))
        .as("the refused notice is retried").isTrue();
      assertThat(receiver.received()).as("the later notice waits behind the failing one")
        .noneMatch(r -> r.notice().eventId() == catEvents.get(1));
      assertThat(undelivered(cat)).isEqualTo(2);

      receiver.accept(cat);
      assertThat(until(userNode, () -> Future.succeededFuture(undelivered(cat) == 0), 10_000)).isTrue();
      assertThat(firstArrivals(cat)).containsExactlyElementsOf(catEvents);
    } finally {
      receiver.accept(cat);
      await(receiver.stopSync());
    }
  }

  @Test
  void twoUserNodesRelayOneBacklogWithoutSendingANoticeTwiceAtOnce() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String id = f.register("ob_many" + i, "ob_many" + i + "@example.com", "a sturdy passphrase").getString("id");
      ids.add(id);
      UserServiceFixture via = i % 2 == 0 ? f : second;
      assertThat(changeEmail(via, id, "ob_many" + i + "b@example.com", "trace-many-" + i).statusCode()).isEqualTo(200);
      assertThat(via.send(HttpMethod.PUT, "/users/" + id + "/roles", new JsonObject().put("roles", new JsonArray().add("admin")), key())
        .statusCode()).isEqualTo(200);
    }
    int received = receiver.received().size();
    receiver.ackDelay(50);
    await(receiver.startSync());
    try {
      assertThat(until(userNode, () -> Future.succeededFuture(allDelivered(ids)), 20_000)).isTrue();
    } finally {
      await(receiver.stopSync());
      receiver.ackDelay(0);
    }
    assertThat(receiver.overlappingDeliveries()).as("a notice is sent by one relay at a time").isZero();
    List<Long> all = new ArrayList<>();
    ids.forEach(id -> all.addAll(eventIds(id)));
    List<Long> arrivals = receiver.received().subList(received, receiver.received().size()).stream()
      .map(r -> r.notice().eventId()).filter(all::contains).toList();
    assertThat(arrivals).as("each notice once: the ack is recorded before the lock is released").hasSameSizeAs(all)
      .containsExactlyInAnyOrderElementsOf(all);
    ids.forEach(id -> assertThat(firstArrivals(id)).containsExactlyElementsOf(eventIds(id)));
  }
}
