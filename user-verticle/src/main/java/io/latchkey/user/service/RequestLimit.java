package io.latchkey.user.service;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.common.WindowCounters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * At most {@code max} requests per subject (a client IP, an address, a user) per fixed window,
 * cluster-wide: the counters are entries of a Hazelcast map ({@link WindowCounters}, updated by
 * compare-and-set), so every user node counts the same requests. Keys are HMAC-SHA256 of the
 * subject under a key derived from the internal key this node sends, so other cluster members
 * never see IPs or addresses (user nodes must therefore send the same key). Without a Hazelcast
 * member (tests) the counters are local to the process.
 */
public final class RequestLimit {

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final String map;
  private final int max;
  private final int windowSeconds;
  private final SecretKeySpec key;
  private final String settings;
  private WindowCounters counters;

  /** {@code settings}: the names of the settings that size it (they must agree across nodes). */
  public RequestLimit(Vertx vertx, HazelcastInstance hazelcast, String map, int max, int windowSeconds, byte[] key,
                      String settings) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.map = map;
    this.max = max;
    this.windowSeconds = windowSeconds;
    this.key = new SecretKeySpec(key, "HmacSHA256");
    this.settings = settings;
  }

  public Future<Void> start() {
    return WindowCounters.start(vertx, hazelcast, map, windowSeconds, settings).onSuccess(c -> counters = c).mapEmpty();
  }

  /** Counts one request of {@code subject}: 0 when counted, else the seconds until the window ends (nothing counted). */
  public Future<Long> take(String subject) {
    return counters.take(blind(subject), max);
  }

  public int max() {
    return max;
  }

  public int windowSeconds() {
    return windowSeconds;
  }

  private String blind(String subject) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] digest = mac.doFinal(subject.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
