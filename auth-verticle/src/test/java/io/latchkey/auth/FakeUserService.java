package io.latchkey.auth;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test double of the user service's bus endpoints ({@code USER_CREDENTIALS}, {@code USER_GET})
 * answering from an in-test map, key-checked like the real ones; {@link #stop()} makes the
 * user service "down" (no handler: the auth side sees 503 user_service_unavailable).
 */
public final class FakeUserService {

  private final Vertx vertx;
  private final ApiKeys keys;
  private final Map<String, Credentials> users = new ConcurrentHashMap<>();
  private final AtomicInteger credentialRequests = new AtomicInteger();
  private MessageConsumer<JsonObject> credentials;
  private MessageConsumer<JsonObject> get;

  public FakeUserService(Vertx vertx, ApiKeys keys) {
    this.vertx = vertx;
    this.keys = keys;
  }

  /** Adds a user with a real bcrypt hash (cost 4) of {@code password}. */
  public Credentials add(String username, String password, String... roles) {
    String hash = new String(at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(4, password.getBytes(StandardCharsets.UTF_8)),
      StandardCharsets.UTF_8);
    Credentials user = new Credentials(UUID.randomUUID().toString(), username, username.toLowerCase() + "@example.com",
      List.of(roles.length == 0 ? new String[] {"user"} : roles), hash, 1, Instant.now());
    users.put(user.userId(), user);
    return user;
  }

  public void put(Credentials user) {
    users.put(user.userId(), user);
  }

  public void remove(String userId) {
    users.remove(userId);
  }

  public Credentials get(String userId) {
    return users.get(userId);
  }

  public int credentialRequests() {
    return credentialRequests.get();
  }

  public Future<Void> start() {
    credentials = vertx.eventBus().consumer(BusAddresses.USER_CREDENTIALS, BusReplies.guarded(keys, (body, requestId) -> {
      credentialRequests.incrementAndGet();
      Credentials found = find(body);
      return found == null ? Future.failedFuture(notFound()) : Future.succeededFuture(found.toJson());
    }));
    get = vertx.eventBus().consumer(BusAddresses.USER_GET, BusReplies.guarded(keys, (body, requestId) -> {
      Credentials found = users.get(body.getString("userId", ""));
      return found == null ? Future.failedFuture(notFound()) : Future.succeededFuture(publicJson(found));
    }));
    return credentials.completion().compose(v -> get.completion());
  }

  public Future<Void> stop() {
    Future<Void> a = credentials == null ? Future.succeededFuture() : credentials.unregister();
    Future<Void> b = get == null ? Future.succeededFuture() : get.unregister();
    return Future.all(a, b).mapEmpty();
  }

  public static JsonObject publicJson(Credentials user) {
    return new JsonObject().put("id", user.userId()).put("username", user.username()).put("email", user.email())
      .put("displayName", null).put("roles", new JsonArray(user.roles()))
      .put("createdAt", "2026-01-01T00:00:00Z").put("updatedAt", user.updatedAt().toString());
  }

  private Credentials find(JsonObject body) {
    String userId = body.getString("userId");
    if (userId != null) {
      return users.get(userId);
    }
    String login = body.getString("login", "");
    return users.values().stream()
      .filter(u -> u.username().equalsIgnoreCase(login) || u.email().equalsIgnoreCase(login))
      .findFirst().orElse(null);
  }

  private static ApiException notFound() {
    return ApiException.notFound(ErrorCodes.USER_NOT_FOUND, "No such user.");
  }
}
