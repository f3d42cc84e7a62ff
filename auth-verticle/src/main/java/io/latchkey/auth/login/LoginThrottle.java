package io.latchkey.auth.login;

import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.common.ClusterMaps;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.Callable;

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
 * or IPs. Times are wall-clock milliseconds of the deciding node (nodes keep their clocks in sync).
 */
public final class LoginThrottle {

  private static final Logger LOG = LoggerFactory.getLogger(LoginThrottle.class);
  public static final String MAP = "latchkey.auth.login-attempts";

  /** A counter: an account (user id, or the login string when no such user) or a client IP. */
  public record Counter(String key, int limit, String kind) {
  }

  private record State(long windowStart, int count, long lockedUntil, int lockouts) {
    static State parse(String text, long now) {
      if (text == null) {
        return new State(now, 0, 0, 0);
      }
      String[] p = text.split(",");
      return new State(Long.parseLong(p[0]), Integer.parseInt(p[1]), Long.parseLong(p[2]), Integer.parseInt(p[3]));
    }

    String encode() {
      return windowStart + "," + count + "," + lockedUntil + "," + lockouts;
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final ThrottleSettings config;
  private final CacheCipher cipher;
  private IMap<String, String> counters;

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
      String old = counters.get(counter.key());
      // the time after the read: a lock another member just wrote was computed from its own later
      // "now", and measuring from before the read would announce a Retry-After longer than the lockout
      long now = System.currentTimeMillis();
      State s = roll(State.parse(old, now), now);
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
      if (!ClusterMaps.compareAndSet(counters, counter.key(), old, next.encode())) {
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

  private interface Change {
    State apply(State s, long now);
  }

  private Future<Void> update(Counter counter, Change change) {
    return blocking(() -> ClusterMaps.retry("login counter", () -> {
      String old = counters.get(counter.key());
      long now = System.currentTimeMillis();
      if (old == null) {
        return Optional.of(Boolean.TRUE); // expired meanwhile: nothing left to change
      }
      State next = change.apply(roll(State.parse(old, now), now), now);
      return next.encode().equals(old) || ClusterMaps.compareAndSet(counters, counter.key(), old, next.encode())
        ? Optional.of(Boolean.TRUE) : Optional.empty();
    })).mapEmpty();
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
