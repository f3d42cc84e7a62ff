package io.latchkey.user.testing;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusAuth;
import io.latchkey.common.BusHeaders;
import io.latchkey.common.BusReplies;
import io.latchkey.common.bus.PasswordCheck;
import io.latchkey.common.bus.UserNotice;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of the auth service's side of the bus: validates tokens from a map of fake
 * tokens ({@code AUTH_VALIDATE}) and acknowledges notices ({@code AUTH_SYNC}), deduplicating on
 * eventId the way the real one must. Either side can be absent (not registered) to test the
 * user service without its peer.
 */
public final class FakeAuthService {

  /** A notice as it arrived, with the request id header it carried. */
  public record Received(UserNotice notice, String requestId) {
  }

  private final Vertx vertx;
  private final ApiKeys keys;
  private final Map<String, JsonObject> tokens = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<Long, UserNotice> applied = new ConcurrentHashMap<>();
  private final Set<String> refusedUsers = ConcurrentHashMap.newKeySet();
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicInteger overlaps = new AtomicInteger();
  private volatile long ackDelayMs;
  private MessageConsumer<JsonObject> validator;
  private MessageConsumer<JsonObject> sync;
  private MessageConsumer<JsonObject> passwordChecks;
  private final List<PasswordCheck> checks = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> reserved = new ConcurrentHashMap<>();
  private volatile int checkLimit = Integer.MAX_VALUE;

  public FakeAuthService(Vertx vertx, ApiKeys keys) {
    this.vertx = vertx;
    this.keys = keys;
  }

  /** A valid token for a user; {@code roles} as the token carries them. */
  public String issueToken(String userId, String username, String... roles) {
    String token = "fake." + UUID.randomUUID();
    tokens.put(token, new JsonObject().put("valid", true).put("userId", userId).put("sessionId", "session-" + UUID.randomUUID())
      .put("username", username).put("roles", new JsonArray(List.of(roles))).put("expiresAt", "2099-01-01T00:00:00Z"));
    return token;
  }

  public String sessionOf(String token) {
    return tokens.get(token).getString("sessionId");
  }

  public void revoke(String token) {
    tokens.remove(token);
  }

  public Future<Void> startValidator() {
    validator = vertx.eventBus().consumer(BusAddresses.AUTH_VALIDATE, BusReplies.guarded(keys, (body, requestId) -> {
      JsonObject answer = tokens.get(body.getString("token", ""));
      return Future.succeededFuture(answer != null ? answer.copy() : new JsonObject().put("valid", false).put("reason", "revoked"));
    }));
    return validator.completion();
  }

  public Future<Void> stopValidator() {
    return validator == null ? Future.succeededFuture() : validator.unregister();
  }

  public Future<Void> startSync() {
    BusAuth auth = new BusAuth(keys);
    sync = vertx.eventBus().consumer(BusAddresses.AUTH_SYNC, message -> {
      BusAuth.Verdict verdict = auth.verifyRequest(message);
      if (!verdict.ok()) {
        BusReplies.fail(message, ApiException.invalidApiKey());
        return;
      }
      UserNotice notice = UserNotice.fromJson(message.body());
      received.add(new Received(notice, message.headers().get(BusHeaders.REQUEST_ID)));
      if (refusedUsers.contains(notice.userId())) {
        BusReplies.fail(message, new ApiException(503, "busy", "refused by the test"));
        return;
      }
      if (!inFlight.add(notice.eventId())) {
        overlaps.incrementAndGet();
      }
      Future<?> delay = ackDelayMs > 0 ? vertx.timer(ackDelayMs) : Future.succeededFuture();
      delay.onComplete(t -> {
        inFlight.remove(notice.eventId());
        applied.putIfAbsent(notice.eventId(), notice);
        JsonObject ack = new JsonObject().put("applied", true);
        message.reply(ack, auth.signReply(verdict.nonce(), ack, message.headers().get(BusHeaders.REQUEST_ID)));
      });
    });
    return sync.completion();
  }

  public Future<Void> stopSync() {
    return sync == null ? Future.succeededFuture() : sync.unregister();
  }

  /**
   * Answers {@code AUTH_PASSWORD_CHECK} like the auth service's login throttle, simplified: an
   * account may reserve {@link #passwordCheckLimit} attempts not followed by a success, then 429
   * too_many_attempts with Retry-After; a success resets the count, a release gives one back.
   */
  public Future<Void> startPasswordChecks() {
    passwordChecks = vertx.eventBus().consumer(BusAddresses.AUTH_PASSWORD_CHECK, BusReplies.guarded(keys, (body, requestId) -> {
      PasswordCheck check = PasswordCheck.fromJson(body);
      checks.add(check);
      AtomicInteger count = reserved.computeIfAbsent(check.userId(), k -> new AtomicInteger());
      switch (check.step()) {
        case RESERVE -> {
          if (count.get() >= checkLimit) {
            return Future.failedFuture(new ApiException(429, "too_many_attempts", "locked by the test").withHeader("Retry-After", "42"));
          }
          count.incrementAndGet();
        }
        case SUCCEEDED -> count.set(0);
        case RELEASED -> count.decrementAndGet();
        case FAILED -> { }
      }
      return Future.succeededFuture(new JsonObject().put("ok", true));
    }));
    return passwordChecks.completion();
  }

  public Future<Void> stopPasswordChecks() {
    return passwordChecks == null ? Future.succeededFuture() : passwordChecks.unregister();
  }

  /** How many unresolved attempts an account may reserve before it is locked. */
  public void passwordCheckLimit(int limit) {
    checkLimit = limit;
  }

  /** Every password-check step received, in order. */
  public List<PasswordCheck> passwordChecks() {
    return List.copyOf(checks);
  }

  /** Notices of this user are answered with a failure (the user service must retry them). */
  public void refuse(String userId) {
    refusedUsers.add(userId);
  }

  public void accept(String userId) {
    refusedUsers.remove(userId);
  }

  public void ackDelay(long ms) {
    ackDelayMs = ms;
  }

  /** Every delivery attempt that reached the receiver, duplicates included. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** The notices applied once each (deduplicated on eventId), by event id. */
  public Map<Long, UserNotice> applied() {
    return Map.copyOf(applied);
  }

  /** How often one notice was being sent while an earlier send of it was still unanswered. */
  public int overlappingDeliveries() {
    return overlaps.get();
  }
}
