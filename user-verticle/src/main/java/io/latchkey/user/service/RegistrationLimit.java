package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.WindowCounters;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Limits registrations ({@code POST /users}: anonymous bcrypt work) per client IP, cluster-wide:
 * at most {@code max} per fixed window of {@code windowSeconds}, then 429
 * {@code too_many_requests} with Retry-After until the window ends. Every registration request
 * counts, whatever its outcome. An IPv6 client counts per /64 ({@link TrustedProxies#throttleKey}).
 *
 * <p>The counters are entries of a Hazelcast map ({@value #MAP}, {@link WindowCounters}) updated
 * by compare-and-set, so every user node counts the same requests. Its keys are HMAC-SHA256 of the IP under a key
 * derived from the internal key this node sends ({@code API_KEY}, by default the first of
 * {@code API_KEYS}), so other cluster members never see IPs (user nodes must therefore send the
 * same key). Without a Hazelcast member (tests) the counters are local to the process.
 */
public final class RegistrationLimit {

  private static final Logger LOG = LoggerFactory.getLogger(RegistrationLimit.class);
  public static final String MAP = "latchkey.user.registrations";

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final int max;
  private final int windowSeconds;
  private final SecretKeySpec key;
  private WindowCounters counters;

  public RegistrationLimit(Vertx vertx, HazelcastInstance hazelcast, int max, int windowSeconds, byte[] key) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.max = max;
    this.windowSeconds = windowSeconds;
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  public Future<Void> start() {
    return WindowCounters.start(vertx, hazelcast, MAP, windowSeconds, "REGISTRATION_IP_WINDOW_SECONDS")
      .onSuccess(c -> counters = c).mapEmpty();
  }

  /** Counts one registration from {@code clientIp}; fails with 429 too_many_requests past the limit. */
  public Future<Void> take(String clientIp, String requestId) {
    return counters.take(blind(TrustedProxies.throttleKey(clientIp)), max).compose(retryAfter -> {
      if (retryAfter > 0) {
        LOG.info("[{}] registration refused: more than {} from one client in {} s", requestId, max, windowSeconds);
        return Future.failedFuture(new ApiException(429, ErrorCodes.TOO_MANY_REQUESTS,
          "Too many registrations from this address; try again later.").withHeader("Retry-After", String.valueOf(retryAfter)));
      }
      return Future.succeededFuture();
    });
  }

  private String blind(String ip) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] digest = mac.doFinal(ip.getBytes(StandardCharsets.UTF_8));
      return "ip:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
