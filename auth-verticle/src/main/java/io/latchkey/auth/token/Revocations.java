package io.latchkey.auth.token;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusHeaders;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which access tokens are revoked before their {@code exp}, answered from local memory only.
 *
 * <p>Two kinds of entries: a revoked session id (every token carrying that {@code sid}), and a
 * user's generation floor (every token of that user whose {@code gen} is below it: roles
 * change, user deletion). The caller writes the revocation to PostgreSQL first (sessions.revoked_at,
 * user_token_state.generation), then calls this class, which applies it to this node's memory
 * at once and publishes it on the clustered event bus ({@link #ADDRESS}, key-checked) to every
 * other auth node, which applies it on receipt, within milliseconds. On start a node loads every
 * revocation younger than the access-token lifetime from PostgreSQL (older ones no longer
 * matter: their tokens have expired), so a full cluster restart forgets nothing. Entries are
 * forgotten one access lifetime (plus a margin) after they were made.
 */
public final class Revocations {

  /** Publish address of revocations between auth nodes. */
  public static final String ADDRESS = "latchkey.auth.revocations";
  private static final Logger LOG = LoggerFactory.getLogger(Revocations.class);
  private static final long MARGIN_MS = 60_000;

  private record Floor(long minGeneration, long forgetAtMs) {
  }

  private final Vertx vertx;
  private final ApiKeys keys;
  private final long keepMs;
  private final ConcurrentHashMap<String, Long> revokedSessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Floor> floors = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private long sweepTimer = -1;
  private long reloadTimer = -1;

  public Revocations(Vertx vertx, ApiKeys keys, Duration accessTokenTtl) {
    this.vertx = vertx;
    this.keys = keys;
    this.keepMs = accessTokenTtl.toMillis() + MARGIN_MS;
  }

  /** Subscribes to other nodes' revocations, then loads the recent ones from PostgreSQL. */
  public Future<Void> start(Pool pool) {
    consumer = vertx.eventBus().consumer(ADDRESS, this::onPublished);
    sweepTimer = vertx.setPeriodic(30_000, id -> sweep(System.currentTimeMillis()));
    return consumer.completion().compose(v -> load(pool));
  }

  public Future<Void> stop() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    if (reloadTimer >= 0) {
      vertx.cancelTimer(reloadTimer);
    }
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** Loads the revocations younger than the access lifetime (idempotent; also run once more shortly after start). */
  public Future<Void> load(Pool pool) {
    Tuple window = Tuple.of(keepMs / 1000);
    Future<Integer> sessions = pool.preparedQuery(
        "SELECT id::text AS id FROM auth.sessions WHERE revoked_at > now() - $1::bigint * interval '1 second'")
      .execute(window)
      .map(rows -> {
        long forgetAt = System.currentTimeMillis() + keepMs;
        for (Row row : rows) {
          revokedSessions.merge(row.getString("id"), forgetAt, Math::max);
        }
        return rows.size();
      });
    Future<Integer> users = pool.preparedQuery(
        "SELECT user_id::text AS user_id, generation FROM auth.user_token_state WHERE updated_at > now() - $1::bigint * interval '1 second'")
      .execute(window)
      .map(rows -> {
        for (Row row : rows) {
          applyFloor(row.getString("user_id"), row.getLong("generation"));
        }
        return rows.size();
      });
    return Future.all(sessions, users).onSuccess(all -> LOG.info("loaded {} revoked session(s) and {} user floor(s) from PostgreSQL",
      sessions.result(), users.result())).mapEmpty();
  }

  /**
   * Loads once more after {@code delayMs}: a revocation published by another node while this
   * node's subscription was not yet known cluster-wide, and committed after the first load,
   * is picked up then.
   */
  public void reloadOnceAfter(Pool pool, long delayMs) {
    reloadTimer = vertx.setTimer(delayMs, id -> load(pool)
      .onFailure(err -> LOG.warn("reloading revocations failed: {}", err.toString())));
  }

  /** True when the token's session or generation is revoked. Local memory only. */
  public boolean isRevoked(AccessClaims claims) {
    if (revokedSessions.containsKey(claims.sessionId())) {
      return true;
    }
    Floor floor = floors.get(claims.userId());
    return floor != null && claims.generation() < floor.minGeneration();
  }

  public boolean isSessionRevoked(String sessionId) {
    return revokedSessions.containsKey(sessionId);
  }

  /** Sessions already revoked in PostgreSQL: in force on this node on return, published to the others. */
  public void revokeSessions(Collection<String> sessionIds, String requestId) {
    if (sessionIds.isEmpty()) {
      return;
    }
    long forgetAt = System.currentTimeMillis() + keepMs;
    sessionIds.forEach(id -> revokedSessions.merge(id, forgetAt, Math::max));
    publish(new JsonObject().put("sessions", new JsonArray(List.copyOf(sessionIds))), requestId);
  }

  /** A user's generation raised in PostgreSQL: tokens of older generations are refused from now on, everywhere. */
  public void raiseGenerationFloor(String userId, long minGeneration, String requestId) {
    applyFloor(userId, minGeneration);
    publish(new JsonObject().put("users", new JsonArray().add(new JsonObject().put("userId", userId)
      .put("minGeneration", minGeneration))), requestId);
  }

  private void applyFloor(String userId, long minGeneration) {
    long forgetAt = System.currentTimeMillis() + keepMs;
    floors.merge(userId, new Floor(minGeneration, forgetAt),
      (old, fresh) -> new Floor(Math.max(old.minGeneration(), fresh.minGeneration()), Math.max(old.forgetAtMs(), fresh.forgetAtMs())));
  }

  private void publish(JsonObject body, String requestId) {
    vertx.eventBus().publish(ADDRESS, body, new DeliveryOptions()
      .addHeader(BusHeaders.API_KEY, keys.outgoing())
      .addHeader(BusHeaders.REQUEST_ID, requestId == null ? "" : requestId));
  }

  private void onPublished(Message<JsonObject> message) {
    String requestId = message.headers().get(BusHeaders.REQUEST_ID);
    if (!keys.isFull(message.headers().get(BusHeaders.API_KEY)) || message.body() == null) {
      LOG.warn("[{}] revocation message refused: missing or invalid API key", requestId);
      return;
    }
    long forgetAt = System.currentTimeMillis() + keepMs;
    JsonArray sessions = message.body().getJsonArray("sessions", new JsonArray());
    for (Object id : sessions) {
      if (id instanceof String s) {
        revokedSessions.merge(s, forgetAt, Math::max);
      }
    }
    JsonArray users = message.body().getJsonArray("users", new JsonArray());
    for (Object u : users) {
      if (u instanceof JsonObject user && user.getString("userId") != null && user.getLong("minGeneration") != null) {
        applyFloor(user.getString("userId"), user.getLong("minGeneration"));
      }
    }
  }

  void sweep(long nowMs) {
    revokedSessions.values().removeIf(forgetAt -> forgetAt <= nowMs);
    floors.values().removeIf(f -> f.forgetAtMs() <= nowMs);
  }

  public int size() {
    return revokedSessions.size() + floors.size();
  }
}
