package io.latchkey.auth.login;

import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.common.ApiException;
import io.latchkey.common.ClusterMaps;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed-login counting per account and per client IP, cluster-wide and atomic: each counter is
 * one entry of a Hazelcast map updated only by compare-and-set, so parallel guesses on any
 * number of nodes are counted exactly.
 *
 * <p>An attempt is counted <em>before</em> its password is checked ({@link #reserve}); a
 * success then gives the count back (IP) or resets it (account). So when the limit is N, at most
 * N guesses are ever checked in a window, however many arrive at once; the next one locks the
 * counter. A lock lasts {@code LOGIN_LOCKOUT_BASE_SECONDS}, doubling with each further lockout
 * up to {@code LOGIN_LOCKOUT_MAX_SECONDS}; the lockout count is forgotten after a window
 * without one. While locked, every attempt is refused (429) before any password is checked.
 *
 * <p>Keys are blinded ({@link CacheCipher#blindIndex}): other cluster members never see logins
 * or IPs. Values are sealed under the cache key with a sequence number that grows with every
 * write: a member without the key cannot forge one, and a node that has seen a counter at
 * sequence N keeps that state (for the counter's lifetime) over an older value replayed into the
 * map or over the entry's deletion, so counters cannot be rolled back on the nodes that counted
 * them. Times are wall-clock milliseconds of the deciding node (nodes keep their clocks in sync).
 */
public final class LoginThrottle {

  private static final Logger LOG = LoggerFactory.getLogger(LoginThrottle.class);
  public static final String MAP = "latchkey.auth.login-attempts";

  /** A counter: an account (user id, or the login string when no such user) or a client IP. */
  public record Counter(String key, int limit, String kind) {
  }

  private record State(long windowStart, int count, long lockedUntil, int lockouts) {
    static State fresh(long now) {
      return new State(now, 0, 0, 0);
    }
  }

  /** A counter as stored: its state and the sequence number of the write that stored it. */
  private record Stored(State state, long seq) {
    static Stored parse(String text) {
      String[] p = text.split(",");
      return new Stored(new State(Long.parseLong(p[0]), Integer.parseInt(p[1]), Long.parseLong(p[2]), Integer.parseInt(p[3])),
        Long.parseLong(p[4]));
    }

    String encode() {
      return state.windowStart() + "," + state.count() + "," + state.lockedUntil() + "," + state.lockouts() + "," + seq;
    }
  }

  /** What a read found: the raw value to compare-and-set against, and the newest state known (null: none). */
  private record Read(byte[] raw, Stored newest, boolean restored) {
    State state() {
      return newest == null ? null : newest.state();
    }

    long seq() {
      return newest == null ? 0 : newest.seq();
    }
  }

  /** The newest state this node wrote or read of a counter, until the counter's entry would have expired. */
  private record Remembered(Stored stored, long forgetAtMs) {
  }

  private static final int MAX_REMEMBERED = 100_000;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final ThrottleSettings config;
  private final CacheCipher cipher;
  private IMap<String, byte[]> counters;
  private final ConcurrentHashMap<String, Remembered> remembered = new ConcurrentHashMap<>();

  public LoginThrottle(Vertx vertx, HazelcastInstance hazelcast, ThrottleSettings config, CacheCipher cipher) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.config = config;
    this.cipher = cipher;
  }

  public Future<Void> start() {
    return blocking(() -> {
      // an entry outlives its window and the longest lock, then disappears by itself
      int ttl = config.failureWindowSeconds() + config.lockoutMaxSeconds();
      counters = ClusterMaps.configure(hazelcast, new MapConfig(MAP).setTimeToLiveSeconds(ttl),
        "LOGIN_FAILURE_WINDOW_SECONDS and LOGIN_LOCKOUT_MAX_SECONDS");
      return null;
    });
  }

  public Counter ip(String clientIp) {
    // an IPv6 client counts per /64 (TrustedProxies.throttleKey), not per address
    return new Counter(cipher.blindIndex("ip", TrustedProxies.throttleKey(clientIp)), config.ipMaxFailures(), "ip");
  }

  public Counter user(String userId) {
    return new Counter(cipher.blindIndex("user", userId), config.accountMaxFailures(), "account");
  }

  /** The account counter of a login no user has (so that guessing unknown logins is throttled too). */
  public Counter unknownLogin(String login) {
    return new Counter(cipher.blindIndex("login", CacheCipher.normalizeLogin(login)), config.accountMaxFailures(), "account");
  }

  /** Counts an attempt before its password is checked; fails with 429 too_many_attempts when locked or at the limit. */
  public Future<Void> reserve(Counter counter, String requestId) {
    return blocking(() -> ClusterMaps.retry("login counter", () -> {
      // the time after the read: a lock another member just wrote was computed from its own later
      // "now", and measuring from before the read would announce a Retry-After longer than the lockout
      Read read = read(counter);
      long now = System.currentTimeMillis();
      State s = roll(read.state() == null ? State.fresh(now) : read.state(), now);
      if (s.lockedUntil() > now) {
        return Optional.of(retryAfterSeconds(s.lockedUntil(), now));
      }
      State next;
      long refusedUntil = 0;
      if (s.count() >= counter.limit()) {
        next = lock(s, now);
        refusedUntil = next.lockedUntil();
      } else {
        next = new State(s.windowStart(), s.count() + 1, s.lockedUntil(), s.lockouts());
      }
      if (!write(counter, read, next)) {
        return Optional.empty();
      }
      if (refusedUntil > 0) {
        LOG.warn("[{}] {} locked for {} s after {} failed logins (lockout #{})", requestId, counter.kind(),
          (refusedUntil - now) / 1000, counter.limit(), next.lockouts());
        return Optional.of(retryAfterSeconds(refusedUntil, now));
      }
      return Optional.of(0L);
    })).compose(retryAfter -> retryAfter > 0 ? Future.failedFuture(tooManyAttempts(retryAfter)) : Future.succeededFuture());
  }

  /** The checked password was wrong: the reserved attempt stays counted; reaching the limit locks now. */
  public Future<Void> failed(Counter counter, String requestId) {
    return update(counter, (s, now) -> {
      if (s.lockedUntil() > now || s.count() < counter.limit()) {
        return s;
      }
      State locked = lock(s, now);
      LOG.warn("[{}] {} locked for {} s after {} failed logins (lockout #{})", requestId, counter.kind(),
        (locked.lockedUntil() - now) / 1000, counter.limit(), locked.lockouts());
      return locked;
    });
  }

  /** The attempt did not count (a success from this IP, or it was refused before any check): gives it back. */
  public Future<Void> release(Counter counter) {
    return update(counter, (s, now) -> s.count() > 0 ? new State(s.windowStart(), s.count() - 1, s.lockedUntil(), s.lockouts()) : s);
  }

  /** A successful login resets the account's count. */
  public Future<Void> reset(Counter counter) {
    return update(counter, (s, now) -> s.count() > 0 ? new State(now, 0, s.lockedUntil(), s.lockouts()) : s);
  }

  /**
   * The owner proved control of the account another way (a password reset): forgets its failures,
   * its lock and its lockout history, so that the new password logs in at once.
   */
  public Future<Void> clearLockout(Counter counter) {
    return update(counter, (s, now) -> s.count() == 0 && s.lockedUntil() == 0 && s.lockouts() == 0 ? s : State.fresh(now));
  }

  private interface Change {
    State apply(State s, long now);
  }

  private Future<Void> update(Counter counter, Change change) {
    return blocking(() -> ClusterMaps.retry("login counter", () -> {
      Read read = read(counter);
      long now = System.currentTimeMillis();
      if (read.state() == null) {
        return Optional.of(Boolean.TRUE); // expired meanwhile: nothing left to change
      }
      State next = change.apply(roll(read.state(), now), now);
      return (next.equals(read.state()) && !read.restored()) || write(counter, read, next)
        ? Optional.of(Boolean.TRUE) : Optional.empty();
    })).mapEmpty();
  }

  /** The counter's value in the cluster, or what this node saw of it when that is newer (a rollback or a deletion). */
  private Read read(Counter counter) {
    byte[] raw = counters.get(counter.key());
    Stored inMap = raw == null ? null : open(counter, raw);
    long now = System.currentTimeMillis();
    Remembered mine = remembered.get(counter.key());
    if (mine != null && mine.forgetAtMs() <= now) {
      remembered.remove(counter.key(), mine);
      mine = null;
    }
    if (mine != null && (inMap == null || mine.stored().seq() > inMap.seq())) {
      LOG.warn("a {} counter in the cluster is older than this node saw it (write {} against {}): keeping the newer state",
        counter.kind(), inMap == null ? "none" : inMap.seq(), mine.stored().seq());
      return new Read(raw, mine.stored(), true);
    }
    return new Read(raw, inMap, false);
  }

  /** Compare-and-set of the next state over what {@code read} found; remembers it when written. */
  private boolean write(Counter counter, Read read, State next) {
    Stored stored = new Stored(next, read.seq() + 1);
    byte[] sealed = cipher.seal(stored.encode().getBytes(StandardCharsets.UTF_8), MAP + "/" + counter.key());
    if (!ClusterMaps.compareAndSet(counters, counter.key(), read.raw(), sealed)) {
      return false;
    }
    remember(counter.key(), stored);
    return true;
  }

  private Stored open(Counter counter, byte[] sealed) {
    try {
      Stored stored = Stored.parse(new String(cipher.open(sealed, MAP + "/" + counter.key()), StandardCharsets.UTF_8));
      remember(counter.key(), stored);
      return stored;
    } catch (RuntimeException e) {
      // forged by a member without the key, or damaged: never believed
      LOG.warn("a {} counter in the cluster cannot be opened: {}", counter.kind(), e.getMessage());
      return null;
    }
  }

  private void remember(String key, Stored stored) {
    long forgetAt = System.currentTimeMillis() + (config.failureWindowSeconds() + (long) config.lockoutMaxSeconds()) * 1000L;
    remembered.merge(key, new Remembered(stored, forgetAt),
      (old, fresh) -> fresh.stored().seq() >= old.stored().seq() ? fresh : old);
    if (remembered.size() > MAX_REMEMBERED) {
      long now = System.currentTimeMillis();
      remembered.values().removeIf(r -> r.forgetAtMs() <= now);
      // still over (a flood of distinct counters): forget some, the cluster's copy still counts
      var it = remembered.keySet().iterator();
      while (remembered.size() > MAX_REMEMBERED && it.hasNext()) {
        it.next();
        it.remove();
      }
    }
  }

  /** A new window when the old one is over; the lockout history is forgotten after a whole window without a lock. */
  private State roll(State s, long now) {
    long window = config.failureWindowSeconds() * 1000L;
    long windowStart = s.windowStart();
    int count = s.count();
    if (now - windowStart >= window) {
      windowStart = now;
      count = 0;
    }
    long lockedUntil = s.lockedUntil();
    int lockouts = s.lockouts();
    if (lockedUntil != 0 && lockedUntil <= now && now - lockedUntil >= window) {
      lockedUntil = 0;
      lockouts = 0;
    }
    return new State(windowStart, count, lockedUntil, lockouts);
  }

  private State lock(State s, long now) {
    long base = config.lockoutBaseSeconds() * 1000L;
    long max = config.lockoutMaxSeconds() * 1000L;
    long duration = Math.min(max, base << Math.min(s.lockouts(), 20));
    // a new window starts when the lock ends
    return new State(now + duration, 0, now + duration, s.lockouts() + 1);
  }

  private static long retryAfterSeconds(long until, long now) {
    return Math.max(1, (until - now + 999) / 1000);
  }

  static ApiException tooManyAttempts(long retryAfterSeconds) {
    return new ApiException(429, ErrorCodes.TOO_MANY_ATTEMPTS, "Too many failed logins; try again later.")
      .withHeader("Retry-After", String.valueOf(retryAfterSeconds));
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }
}
