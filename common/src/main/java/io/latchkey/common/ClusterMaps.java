package io.latchkey.common;

import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * The two things every Hazelcast map of the services needs: its configuration registered
 * on the cluster before first use, and updates by compare-and-set, retried while other members
 * win the race. Blocking (one network round trip per call): call from worker threads.
 */
public final class ClusterMaps {

  /** How often one update is retried before it gives up (a value that keeps changing this often is a bug or an attack). */
  public static final int CAS_ATTEMPTS = 200;

  private ClusterMaps() {
  }

  /**
   * Registers {@code config} on the cluster; a member that configured the same map differently
   * makes this fail with a message naming {@code settings}, the settings that must agree.
   */
  public static <K, V> IMap<K, V> configure(HazelcastInstance hazelcast, MapConfig config, String settings) {
    try {
      hazelcast.getConfig().addMapConfig(config);
    } catch (InvalidConfigurationException e) {
      throw new IllegalStateException("map " + config.getName() + " is already configured differently in this cluster"
        + " (all nodes need the same " + settings + ")", e);
    }
    return hazelcast.getMap(config.getName());
  }

  /**
   * Runs {@code step} until it returns a value (it returns empty when another member changed the
   * entry between its read and its write); after {@link #CAS_ATTEMPTS} lost races it throws,
   * naming {@code what}.
   */
  public static <T> T retry(String what, Supplier<Optional<T>> step) {
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      Optional<T> done = step.get();
      if (done.isPresent()) {
        return done.get();
      }
    }
    throw new IllegalStateException(what + " kept changing; gave up after " + CAS_ATTEMPTS + " attempts");
  }

  /** Writes {@code next} where {@code old} (null: nothing) was read; false when the entry changed meanwhile. */
  public static <K, V> boolean compareAndSet(IMap<K, V> map, K key, V old, V next) {
    return old == null ? map.putIfAbsent(key, next) == null : map.replace(key, old, next);
  }
}
