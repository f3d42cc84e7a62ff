package io.latchkey.auth.cache;

import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.latchkey.common.ClusterMaps;
import io.latchkey.auth.floor.VersionFloor;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * The cluster-wide password cache: a Hazelcast map shared by every auth node, keyed by user id,
 * findable by username and email through a second map of blinded logins. Values are sealed
 * with {@link CacheCipher}. Bounded by {@code PASSWORD_CACHE_MAX_ENTRIES} (per member, LRU) and
 * {@code PASSWORD_CACHE_TTL_SECONDS}.
 *
 * <p>Never older than a sync: a third map holds each user's {@link VersionFloor} (the password
 * version and freshness syncs announced, sealed like the entries; all of it is also in
 * PostgreSQL, which a login's cache hit is checked against too). Every write
 * is a compare-and-set on the user's entry; a fill checks the floor before writing and again
 * after (removing its own value if a sync raised the floor meanwhile), a sync raises the floor
 * before dropping older entries, and a read ignores entries below the floor. So whichever way
 * a fill and a sync interleave, once the sync has returned no node answers from the old entry.
 *
 * <p>Only built-in Hazelcast operations and types (String, byte[]) are used: user-service
 * processes are cluster members too and do not have these classes.
 *
 * <p>Hazelcast calls block briefly (one network round trip each); they run on Vert.x worker
 * threads and their results come back on the caller's context.
 */
public final class PasswordCache {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordCache.class);

  public static final String ENTRIES_MAP = "latchkey.auth.password-cache";
  public static final String LOGINS_MAP = "latchkey.auth.password-cache.logins";
  public static final String FLOORS_MAP = "latchkey.auth.password-cache.floors";

  /** What {@link #install} did. */
  public enum InstallResult {
    INSTALLED,
    /** Older than a version or update a sync announced (or than the entry already cached): not installed. */
    STALE,
    /** The user was deleted: not installed. */
    DELETED
  }

  /** What an install's compare-and-set did: written over {@code replaced} (null: nothing was cached), or not, a newer entry being cached. */
  private record Write(boolean written, CachedCredentials replaced) {
    static final Write NEWER_CACHED = new Write(false, null);
  }

  /** One page of the admin listing. */
  public record Page(int size, List<CachedCredentials> items, String nextCursor) {
  }

  /** What all auth nodes must set alike for these maps. */
  private static final String SETTINGS_THAT_AGREE = "PASSWORD_CACHE_MAX_ENTRIES and PASSWORD_CACHE_TTL_SECONDS";

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final CacheSettings config;
  private final CacheCipher cipher;
  private final VersionFloors durableFloors;
  private IMap<String, byte[]> entries;
  private IMap<String, String> logins;
  private IMap<String, byte[]> floors;
  private CacheCounters counters;

  public PasswordCache(Vertx vertx, HazelcastInstance hazelcast, CacheSettings config, CacheCipher cipher,
                       VersionFloors durableFloors) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.config = config;
    this.cipher = cipher;
    this.durableFloors = durableFloors;
  }

  /** Adds the map configurations to the cluster (before first use) and registers the counters. */
  public Future<Void> start() {
    return blocking(() -> {
      int ttl = config.ttlSeconds();
      entries = ClusterMaps.configure(hazelcast, new MapConfig(ENTRIES_MAP)
        .setTimeToLiveSeconds(ttl)
        .setEvictionConfig(new EvictionConfig()
          .setEvictionPolicy(EvictionPolicy.LRU)
          .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
          .setSize(config.maxEntries())), SETTINGS_THAT_AGREE);
      logins = ClusterMaps.configure(hazelcast, new MapConfig(LOGINS_MAP)
        .setTimeToLiveSeconds(ttl)
        .setEvictionConfig(new EvictionConfig()
          .setEvictionPolicy(EvictionPolicy.LRU)
          .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
          .setSize(saturatingMultiply(config.maxEntries(), 2))), SETTINGS_THAT_AGREE);
      // a floor must outlive any fill or entry older than it; fills last seconds, entries one TTL
      floors = ClusterMaps.configure(hazelcast, new MapConfig(FLOORS_MAP).setTimeToLiveSeconds(Math.max(2 * ttl, 600)),
        SETTINGS_THAT_AGREE);
      counters = CacheCounters.acquire(hazelcast, entries);
      return null;
    });
  }

  public Future<Void> stop() {
    if (entries == null) {
      return Future.succeededFuture();
    }
    return blocking(() -> {
      CacheCounters.release(hazelcast, entries);
      return null;
    });
  }

  public CacheCounters counters() {
    return counters;
  }

  /**
   * The entry for a username or email, counted as a hit or a miss; null on a miss. An entry is
   * answered only when it is not below the user's durable floor in PostgreSQL either: the floors
   * in Hazelcast are the fast path, and a cluster member that rolled one back (or replayed an old
   * entry) cannot bring an old password, email or role set back to a login.
   */
  public Future<CachedCredentials> findByLogin(String login) {
    String normalized = CacheCipher.normalizeLogin(login);
    return blocking(() -> {
      String userId = logins.get(loginKey(normalized));
      CachedCredentials found = userId == null ? null : current(userId);
      return found != null && found.answersTo(normalized) ? found : null; // else the index is older than the entry
    }).compose(found -> found == null ? Future.succeededFuture((CachedCredentials) null)
      : durableFloors.floor(found.userId()).map(durable -> {
        if (durable.rejects(found.credentials())) {
          LOG.warn("password cache entry of user {} is below its durable floor (a rolled-back floor or a replayed entry): ignored",
            found.userId());
          return null;
        }
        return found;
      }))
      .onSuccess(found -> {
        if (found == null) {
          counters.miss();
        } else {
          counters.hit();
        }
      });
  }

  /** The entry of a user, if cached and not below the floor (not counted). */
  public Future<CachedCredentials> peek(String userId) {
    return blocking(() -> current(userId));
  }

  /**
   * Installs credentials fresh from the user service, unless a sync announced something newer
   * (or the user was deleted), or the cache already holds a newer state.
   */
  public Future<InstallResult> install(Credentials credentials) {
    return durableFloors.floor(credentials.userId())
      .compose(durable -> blocking(() -> installNow(credentials, durable)));
  }

  /**
   * A sync announced a state: raises the user's floor (cluster-wide, monotonic) and drops a
   * cached entry below it. Returns true when an entry was dropped.
   */
  public Future<Boolean> announce(String userId, VersionFloor floor) {
    return blocking(() -> {
      VersionFloor raised = raiseFloor(userId, floor);
      return ClusterMaps.retry("password cache entry", () -> {
        byte[] sealed = entries.get(userId);
        if (sealed == null) {
          return Optional.of(false);
        }
        CachedCredentials cached = open(userId, sealed);
        if (cached != null && !raised.rejects(cached.credentials())) {
          return Optional.of(false);
        }
        if (entries.remove(userId, sealed)) {
          removeIndex(userId, cached, null);
          return Optional.of(true);
        }
        return Optional.empty();
      });
    });
  }

  /** Removes a user's entry and its login index; true when there was one. */
  public Future<Boolean> evict(String userId) {
    return blocking(() -> {
      byte[] sealed = entries.remove(userId);
      if (sealed == null) {
        return false;
      }
      removeIndex(userId, open(userId, sealed), null);
      return true;
    });
  }

  /** Entries in the whole cluster. */
  public Future<Integer> size() {
    return blocking(() -> entries.size());
  }

  /** The user ids of every cached entry, in the cluster. */
  public Future<List<String>> userIds() {
    return blocking(() -> List.copyOf(new TreeSet<>(entries.keySet())));
  }

  /** A page of entries ordered by user id, after {@code afterUserId} (null: from the start). */
  public Future<Page> list(String afterUserId, int limit) {
    return blocking(() -> {
      int size = entries.size();
      TreeSet<String> ids = new TreeSet<>(entries.keySet());
      Set<String> tail = afterUserId == null ? ids : ids.tailSet(afterUserId, false);
      List<String> pageIds = new ArrayList<>();
      for (String id : tail) {
        if (pageIds.size() == limit) {
          break;
        }
        pageIds.add(id);
      }
      Map<String, byte[]> values = entries.getAll(new HashSet<>(pageIds));
      List<CachedCredentials> items = new ArrayList<>();
      for (String id : pageIds) {
        byte[] sealed = values.get(id);
        CachedCredentials cached = sealed == null ? null : open(id, sealed);
        if (cached != null) {
          items.add(cached);
        }
      }
      boolean more = !pageIds.isEmpty() && ids.higher(pageIds.get(pageIds.size() - 1)) != null;
      return new Page(size, items, more ? pageIds.get(pageIds.size() - 1) : null);
    });
  }

  // ---- the work itself, on a worker thread

  private CachedCredentials current(String userId) {
    byte[] sealed = entries.get(userId);
    if (sealed == null) {
      return null;
    }
    CachedCredentials cached = open(userId, sealed);
    if (cached == null) {
      return null;
    }
    VersionFloor floor = floorOf(userId);
    if (floor.rejects(cached.credentials())) {
      // a sync raced this entry in: it is being dropped; never answer from it
      entries.remove(userId, sealed);
      return null;
    }
    return cached;
  }

  private InstallResult installNow(Credentials fresh, VersionFloor durable) {
    String userId = fresh.userId();
    VersionFloor before = durable.max(floorOf(userId));
    if (before.deletedUser()) {
      return InstallResult.DELETED;
    }
    if (before.rejects(fresh)) {
      return InstallResult.STALE;
    }
    byte[] sealed = seal(new CachedCredentials(fresh, Instant.now()));
    Write write = ClusterMaps.retry("password cache entry", () -> {
      byte[] old = entries.get(userId);
      CachedCredentials previous = old == null ? null : open(userId, old);
      if (previous != null && newer(previous.credentials(), fresh)) {
        return Optional.of(Write.NEWER_CACHED);
      }
      return ClusterMaps.compareAndSet(entries, userId, old, sealed) ? Optional.of(new Write(true, previous)) : Optional.empty();
    });
    if (!write.written()) {
      return InstallResult.STALE;
    }
    CachedCredentials previous = write.replaced();
    logins.set(loginKey(CacheCipher.normalizeLogin(fresh.username())), userId);
    if (fresh.email() != null) {
      logins.set(loginKey(CacheCipher.normalizeLogin(fresh.email())), userId);
    }
    removeIndex(userId, previous, fresh);
    // a sync may have raised the floor while we wrote: then our value must not stay
    VersionFloor after = floorOf(userId);
    if (after.rejects(fresh)) {
      if (entries.remove(userId, sealed)) {
        removeIndex(userId, new CachedCredentials(fresh, Instant.now()), null);
      }
      return after.deletedUser() ? InstallResult.DELETED : InstallResult.STALE;
    }
    return InstallResult.INSTALLED;
  }

  private static boolean newer(Credentials cached, Credentials fresh) {
    return cached.passwordVersion() > fresh.passwordVersion() || cached.updatedAt().isAfter(fresh.updatedAt());
  }

  private VersionFloor raiseFloor(String userId, VersionFloor announced) {
    return ClusterMaps.retry("version floor", () -> {
      byte[] current = floors.get(userId);
      VersionFloor before = openFloor(userId, current);
      VersionFloor merged = before.max(announced);
      if (current != null && merged.equals(before)) {
        return Optional.of(merged);
      }
      byte[] sealed = cipher.seal(merged.encode().getBytes(StandardCharsets.UTF_8), FLOORS_MAP + "/" + userId);
      return ClusterMaps.compareAndSet(floors, userId, current, sealed) ? Optional.of(merged) : Optional.empty();
    });
  }

  private VersionFloor floorOf(String userId) {
    return openFloor(userId, floors.get(userId));
  }

  /**
   * A floor as sealed in the map (bound to its user, so a floor cannot be moved to another user,
   * and unforgeable without the cache key); an unreadable one counts as none, and the durable
   * floor in PostgreSQL still guards logins ({@link #findByLogin}).
   */
  private VersionFloor openFloor(String userId, byte[] sealed) {
    if (sealed == null) {
      return VersionFloor.NONE;
    }
    try {
      return VersionFloor.decode(new String(cipher.open(sealed, FLOORS_MAP + "/" + userId), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      LOG.warn("version floor of user {} cannot be opened: {}", userId, e.getMessage());
      return VersionFloor.NONE;
    }
  }

  /** Removes the index entries of {@code previous} that {@code kept} (may be null) no longer answers to. */
  private void removeIndex(String userId, CachedCredentials previous, Credentials kept) {
    if (previous == null) {
      return;
    }
    List<String> old = new ArrayList<>();
    old.add(previous.credentials().username());
    if (previous.credentials().email() != null) {
      old.add(previous.credentials().email());
    }
    for (String login : old) {
      String normalized = CacheCipher.normalizeLogin(login);
      boolean stillValid = kept != null && (normalized.equals(CacheCipher.normalizeLogin(kept.username()))
        || (kept.email() != null && normalized.equals(CacheCipher.normalizeLogin(kept.email()))));
      if (!stillValid) {
        logins.remove(loginKey(normalized), userId);
      }
    }
  }

  private String loginKey(String normalizedLogin) {
    return cipher.blindIndex("login", normalizedLogin);
  }

  private byte[] seal(CachedCredentials cached) {
    return cipher.seal(cached.toJson().toBuffer().getBytes(), ENTRIES_MAP + "/" + cached.userId());
  }

  private CachedCredentials open(String userId, byte[] sealed) {
    try {
      CachedCredentials cached = CachedCredentials.fromJson(
        new JsonObject(Buffer.buffer(cipher.open(sealed, ENTRIES_MAP + "/" + userId))));
      if (cached == null) {
        // written by an older node (no second-factor field): a miss, replaced by the next install
        LOG.debug("password cache entry of user {} predates the second factor: treated as absent", userId);
        return null;
      }
      return userId.equals(cached.userId()) ? cached : null;
    } catch (RuntimeException e) {
      // another key (misconfigured node) or a damaged value: treat as absent, never trust it
      LOG.warn("password cache entry of user {} cannot be opened: {}", userId, e.getMessage());
      return null;
    }
  }

  private static int saturatingMultiply(int value, int factor) {
    long product = (long) value * factor;
    return product > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) product;
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }
}
