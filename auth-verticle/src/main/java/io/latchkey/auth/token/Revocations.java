package io.latchkey.auth.token;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAuth;
import io.latchkey.common.BusHeaders;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which access tokens are revoked before their {@code exp}, answered from local memory only.
 *
 * <p>Two kinds of entries: a revoked session id (every token carrying that {@code sid}), and a
 * user's generation floor (every token of that user whose {@code gen} is below it: roles
 * change, user deletion). The caller writes the revocation to PostgreSQL first (sessions.revoked_at,
 * user_token_state.generation), then calls this class, which applies it to this node's memory
 * at once and publishes it on the clustered event bus ({@link #ADDRESS}, signed by {@link BusAuth}: a forged revocation is ignored) to every
 * other auth node, which applies it on receipt, within milliseconds. On start a node loads every
 * revocation younger than the access-token lifetime from PostgreSQL (older ones no longer
 * matter: their tokens have expired), so a full cluster restart forgets nothing. Entries are
 * forgotten one access lifetime (plus a margin) after they were made.
 *
 * <p>The bus is the fast path; PostgreSQL is the truth. A node that misses a publish (a network
 * blip, a Hazelcast split, a sender that died between its commit and its publish) still learns
 * the revocation by reconciliation: every {@code REVOCATION_RECONCILE_MS} (default 1 s), and at
 * once on every cluster membership change or merge, it re-reads the revocations committed since
 * its last read (two index range scans, one round trip). Each read starts {@link #OVERLAP} before
 * the previous one's database time, so a revocation whose transaction committed late (its
 * {@code now()} is its start) is still seen.
 */
public final class Revocations {

  /** Publish address of revocations between auth nodes. */
  public static final String ADDRESS = "latchkey.auth.revocations";
  private static final Logger LOG = LoggerFactory.getLogger(Revocations.class);
  private static final long MARGIN_MS = 60_000;
  /** How far each reconciliation reads back before the previous one: longer than any revoking transaction. */
  static final Duration OVERLAP = Duration.ofSeconds(10);
  /** At most this many revoked sessions per reconciliation (a bulk revocation catches up over the next reads). */
  private static final int RECONCILE_LIMIT = 50_000;

  private static final String SINCE = """
    SELECT now() AS db_now,
           ARRAY(SELECT id::text FROM auth.sessions
                  WHERE revoked_at > $1 ORDER BY revoked_at LIMIT $2) AS sessions,
           ARRAY(SELECT user_id::text || ':' || generation FROM auth.user_token_state
                  WHERE updated_at > $1 ORDER BY updated_at LIMIT $2) AS floors
    """;

  private record Floor(long minGeneration, long forgetAtMs) {
  }

  private final Vertx vertx;
  private final BusAuth busAuth;
  private final long keepMs;
  private final long reconcileMs;
  private Pool pool;
  private HazelcastInstance hazelcast;
  private UUID membershipListener;
  private UUID lifecycleListener;
  private long reconcileTimer = -1;
  /** Database time of the last reconciliation's start; the next one reads from there minus {@link #OVERLAP}. */
  private volatile OffsetDateTime lastRead;
  private final AtomicBoolean reconciling = new AtomicBoolean();
  private final AtomicLong reconciled = new AtomicLong();
  private final ConcurrentHashMap<String, Long> revokedSessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Floor> floors = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private long sweepTimer = -1;

  /** latchkey_revocations_applied_total{source="local"}: revoked sessions and raised floors this node decided. */
  private final Counter appliedLocal;
  /** The same with source="remote": received from another auth node over the event bus. */
  private final Counter appliedRemote;
  /** Marks this node's own publishes, which come back to its own consumer: those are not counted as remote. */
  private final String origin = java.util.UUID.randomUUID().toString();
  private static final String ORIGIN_HEADER = "x-latchkey-revocation-origin";

  public Revocations(Vertx vertx, ApiKeys keys, Duration accessTokenTtl, Duration reconcileInterval, MeterRegistry metrics) {
    this.vertx = vertx;
    this.busAuth = new BusAuth(keys);
    this.keepMs = accessTokenTtl.toMillis() + MARGIN_MS;
    this.reconcileMs = reconcileInterval.toMillis();
    String name = "latchkey.revocations.applied";
    String description = "revocations (a session, or a user's generation floor) applied to this node's memory, by where they came from";
    this.appliedLocal = Counter.builder(name).tag("source", "local").description(description).register(metrics);
    this.appliedRemote = Counter.builder(name).tag("source", "remote").description(description).register(metrics);
    // those this node missed on the bus and found in PostgreSQL (counted already, for the log)
    FunctionCounter.builder(name, reconciled, AtomicLong::get).tag("source", "reconcile").description(description).register(metrics);
    Gauge.builder("latchkey.revocations.in.memory", this, Revocations::size)
      .description("revoked sessions and generation floors this node holds until the access tokens they refuse expire")
      .register(metrics);
  }

  /**
   * Subscribes to other nodes' revocations, loads the recent ones from PostgreSQL, then
   * reconciles periodically and on every membership change or merge of {@code hazelcast}.
   */
  public Future<Void> start(Pool pool, HazelcastInstance hazelcast) {
    this.pool = pool;
    this.hazelcast = hazelcast;
    consumer = vertx.eventBus().consumer(ADDRESS, this::onPublished);
    sweepTimer = vertx.setPeriodic(30_000, id -> sweep(System.currentTimeMillis()));
    return consumer.completion().compose(v -> load(pool)).onSuccess(v -> {
      reconcileTimer = vertx.setPeriodic(reconcileMs, id -> reconcile("timer"));
      membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
          vertx.runOnContext(x -> reconcile("member joined"));
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          vertx.runOnContext(x -> reconcile("member left"));
        }
      });
      lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(event -> {
        if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
          vertx.runOnContext(x -> reconcile("cluster merged"));
        }
      });
    });
  }

  /**
   * Reads the revocations committed since the last read and applies them; the future says how
   * many entries it applied (0 when a read is already running). Never fails: an unreachable
   * database is logged, and the next read covers the gap.
   */
  public Future<Integer> reconcile(String why) {
    if (pool == null || !reconciling.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    OffsetDateTime since = lastRead.minus(OVERLAP);
    return pool.preparedQuery(SINCE).execute(Tuple.of(since, RECONCILE_LIMIT))
      .map(rows -> {
        Row row = rows.iterator().next();
        int applied = 0;
        long forgetAt = System.currentTimeMillis() + keepMs;
        for (String id : row.getArrayOfStrings("sessions")) {
          if (revokedSessions.put(id, Math.max(forgetAt, revokedSessions.getOrDefault(id, 0L))) == null) {
            applied++;
          }
        }
        for (String floor : row.getArrayOfStrings("floors")) {
          int colon = floor.lastIndexOf(':');
          if (applyFloor(floor.substring(0, colon), Long.parseLong(floor.substring(colon + 1)))) {
            applied++;
          }
        }
        lastRead = row.getOffsetDateTime("db_now");
        if (applied > 0) {
          reconciled.addAndGet(applied);
          LOG.warn("reconciliation ({}) found {} revocation(s) this node had not received over the event bus", why, applied);
        }
        return applied;
      })
      .recover(err -> {
        LOG.warn("reconciling revocations from PostgreSQL failed ({}): {}", why, err.toString());
        return Future.succeededFuture(0);
      })
      .onComplete(ar -> reconciling.set(false));
  }

  /** Revocations this node learned from PostgreSQL rather than from the bus, since it started. */
  public long reconciledCount() {
    return reconciled.get();
  }

  public Future<Void> stop() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    if (reconcileTimer >= 0) {
      vertx.cancelTimer(reconcileTimer);
    }
    if (hazelcast != null && membershipListener != null) {
      hazelcast.getCluster().removeMembershipListener(membershipListener);
    }
    if (hazelcast != null && lifecycleListener != null) {
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
    }
    pool = null;
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** Loads the revocations younger than the access lifetime (idempotent). */
  public Future<Void> load(Pool pool) {
    Tuple window = Tuple.of(keepMs / 1000);
    Future<OffsetDateTime> started = pool.query("SELECT now() AS db_now").execute()
      .map(rows -> rows.iterator().next().getOffsetDateTime("db_now"));
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
    return started.compose(at -> Future.all(sessions, users).onSuccess(all -> {
      if (lastRead == null || at.isAfter(lastRead)) {
        lastRead = at;
      }
      LOG.info("loaded {} revoked session(s) and {} user floor(s) from PostgreSQL", sessions.result(), users.result());
    })).mapEmpty();
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
    appliedLocal.increment(sessionIds.size());
    publish(new JsonObject().put("sessions", new JsonArray(List.copyOf(sessionIds))), requestId);
  }

  /** A user's generation raised in PostgreSQL: tokens of older generations are refused from now on, everywhere. */
  public void raiseGenerationFloor(String userId, long minGeneration, String requestId) {
    applyFloor(userId, minGeneration);
    appliedLocal.increment();
    publish(new JsonObject().put("users", new JsonArray().add(new JsonObject().put("userId", userId)
      .put("minGeneration", minGeneration))), requestId);
  }

  /** True when this raised the user's floor (it was lower or absent). */
  private boolean applyFloor(String userId, long minGeneration) {
    long forgetAt = System.currentTimeMillis() + keepMs;
    Floor before = floors.get(userId);
    floors.merge(userId, new Floor(minGeneration, forgetAt),
      (old, fresh) -> new Floor(Math.max(old.minGeneration(), fresh.minGeneration()), Math.max(old.forgetAtMs(), fresh.forgetAtMs())));
    return before == null || before.minGeneration() < minGeneration;
  }

  private void publish(JsonObject body, String requestId) {
    vertx.eventBus().publish(ADDRESS, body, busAuth.signRequest(ADDRESS, body, requestId).addHeader(ORIGIN_HEADER, origin));
  }

  private void onPublished(Message<JsonObject> message) {
    String requestId = message.headers().get(BusHeaders.REQUEST_ID);
    BusAuth.Verdict verdict = message.body() == null ? new BusAuth.Verdict("no body", null) : busAuth.verifyRequest(message);
    if (!verdict.ok()) {
      LOG.warn("[{}] revocation message refused: {}", requestId, verdict.refusal());
      return;
    }
    long forgetAt = System.currentTimeMillis() + keepMs;
    Counter applied = origin.equals(message.headers().get(ORIGIN_HEADER)) ? null : appliedRemote;
    JsonArray sessions = message.body().getJsonArray("sessions", new JsonArray());
    for (Object id : sessions) {
      if (id instanceof String s) {
        revokedSessions.merge(s, forgetAt, Math::max);
        if (applied != null) {
          applied.increment();
        }
      }
    }
    JsonArray users = message.body().getJsonArray("users", new JsonArray());
    for (Object u : users) {
      if (u instanceof JsonObject user && user.getString("userId") != null && user.getLong("minGeneration") != null) {
        applyFloor(user.getString("userId"), user.getLong("minGeneration"));
        if (applied != null) {
          applied.increment();
        }
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
