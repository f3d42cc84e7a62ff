package io.latchkey.common;

import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Fixed-window counters shared by every node of the cluster: one entry per key of a Hazelcast
 * map, updated by compare-and-set ({@link ClusterMaps#retry}), so parallel requests on any number
 * of nodes are counted exactly. Entries expire with their window. Keys must already be blinded
 * by the caller (other members can read the map). On a Vert.x that is not clustered the
 * counters are local to the process. The Hazelcast calls run on worker threads.
 */
public final class WindowCounters {

  private final Vertx vertx;
  private final int windowSeconds;
  private final ConcurrentMap<String, String> counters;

  private WindowCounters(Vertx vertx, int windowSeconds, ConcurrentMap<String, String> counters) {
    this.vertx = vertx;
    this.windowSeconds = windowSeconds;
    this.counters = counters;
  }

  /**
   * Configures {@code map} on the cluster of {@code hazelcast} (TTL: one window); {@code settings}
   * names what must agree across nodes. Without a Hazelcast member (a Vert.x that is not
   * clustered, in tests) the counters are local to the process.
   */
  public static Future<WindowCounters> start(Vertx vertx, HazelcastInstance hazelcast, String map, int windowSeconds,
                                             String settings) {
    if (hazelcast == null) {
      return Future.succeededFuture(new WindowCounters(vertx, windowSeconds, new ConcurrentHashMap<>()));
    }
    return vertx.executeBlocking(() -> new WindowCounters(vertx, windowSeconds,
      ClusterMaps.configure(hazelcast, new MapConfig(map).setTimeToLiveSeconds(windowSeconds), settings)), false);
  }

  /**
   * Counts one event for {@code key} unless it already has {@code max} in the current window.
   * Succeeds with 0 when counted, else with the seconds until the window ends (at least 1).
   */
  public Future<Long> take(String key, int max) {
    return vertx.executeBlocking(() -> ClusterMaps.retry("counter", () -> {
      String old = counters.get(key);
      long now = System.currentTimeMillis();
      long windowMs = windowSeconds * 1000L;
      long start = now;
      int count = 0;
      long[] parsed = parse(old);
      if (parsed != null && now - parsed[0] < windowMs) {
        start = parsed[0];
        count = (int) Math.min(Integer.MAX_VALUE, Math.max(0, parsed[1]));
      }
      if (count >= max) {
        return Optional.of(Math.max(1, (start + windowMs - now + 999) / 1000));
      }
      String next = start + "," + (count + 1);
      boolean written = old == null ? counters.putIfAbsent(key, next) == null : counters.replace(key, old, next);
      return written ? Optional.of(0L) : Optional.<Long>empty();
    }), false);
  }

  /** {@code start,count}, or null for a value this code did not write (a damaged or foreign entry counts as none). */
  private static long[] parse(String value) {
    if (value == null) {
      return null;
    }
    int comma = value.indexOf(',');
    try {
      return new long[] {Long.parseLong(value.substring(0, comma)), Long.parseLong(value.substring(comma + 1))};
    } catch (RuntimeException e) {
      return null;
    }
  }
}
