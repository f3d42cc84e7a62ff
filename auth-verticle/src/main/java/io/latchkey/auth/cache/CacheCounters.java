package io.latchkey.auth.cache;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import io.vertx.core.json.JsonObject;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

/**
 * Hit, miss and eviction counters of the password cache for this node (one Hazelcast member),
 * however many verticle instances share it. Evictions are counted by a local entry listener,
 * so each member counts the entries it owned when Hazelcast evicted (size bound) or expired
 * (time to live) them.
 */
public final class CacheCounters {

  private static final Map<HazelcastInstance, CacheCounters> BY_MEMBER = new IdentityHashMap<>();

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private int users;
  private UUID listenerId;

  private CacheCounters() {
  }

  /** The counters of this member; the first caller registers the eviction listener. */
  static synchronized CacheCounters acquire(HazelcastInstance member, IMap<String, byte[]> entries) {
    CacheCounters counters = BY_MEMBER.computeIfAbsent(member, m -> new CacheCounters());
    if (counters.users++ == 0) {
      counters.listenerId = entries.addLocalEntryListener(new EvictionListener(counters.evictions));
    }
    return counters;
  }

  static synchronized void release(HazelcastInstance member, IMap<String, byte[]> entries) {
    CacheCounters counters = BY_MEMBER.get(member);
    if (counters != null && --counters.users == 0) {
      BY_MEMBER.remove(member);
      try {
        entries.removeEntryListener(counters.listenerId);
      } catch (RuntimeException e) {
        // the member is shutting down; nothing left to unregister
      }
    }
  }

  void hit() {
    hits.increment();
  }

  void miss() {
    misses.increment();
  }

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long evictions() {
    return evictions.sum();
  }

  /** The /health/cache body, with the cluster-wide size. */
  public JsonObject toJson(int clusterSize) {
    long h = hits();
    long m = misses();
    double ratio = h + m == 0 ? 0.0 : (double) h / (h + m);
    return new JsonObject()
      .put("size", clusterSize)
      .put("hits", h)
      .put("misses", m)
      .put("hitRatio", Math.round(ratio * 10_000) / 10_000.0)
      .put("evictions", evictions());
  }

  private record EvictionListener(LongAdder evictions)
    implements EntryEvictedListener<String, byte[]>, EntryExpiredListener<String, byte[]> {

    @Override
    public void entryEvicted(EntryEvent<String, byte[]> event) {
      evictions.increment();
    }

    @Override
    public void entryExpired(EntryEvent<String, byte[]> event) {
      evictions.increment();
    }
  }
}
