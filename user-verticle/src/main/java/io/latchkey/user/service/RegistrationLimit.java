package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.TrustedProxies;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits registrations ({@code POST /users}: anonymous bcrypt work) per client IP, cluster-wide:
 * at most REGISTRATION_IP_MAX per window of REGISTRATION_IP_WINDOW_SECONDS, then 429
 * {@code too_many_requests} with Retry-After until the window ends. Every registration request
 * counts, whatever its outcome. An IPv6 client counts per /64 ({@link TrustedProxies#throttleKey}).
 * The counters: {@link RequestLimit}, map {@value #MAP}.
 */
public final class RegistrationLimit {

  private static final Logger LOG = LoggerFactory.getLogger(RegistrationLimit.class);
  public static final String MAP = "latchkey.user.registrations";

  private final RequestLimit limit;

  public RegistrationLimit(RequestLimit limit) {
    this.limit = limit;
  }

  public Future<Void> start() {
    return limit.start();
  }

  /** Counts one registration from {@code clientIp}; fails with 429 too_many_requests past the limit. */
  public Future<Void> take(String clientIp, String requestId) {
    return limit.take("ip:" + TrustedProxies.throttleKey(clientIp)).compose(retryAfter -> {
      if (retryAfter > 0) {
        LOG.info("[{}] registration refused: more than {} from one client in {} s", requestId, limit.max(), limit.windowSeconds());
        return Future.failedFuture(new ApiException(429, ErrorCodes.TOO_MANY_REQUESTS,
          "Too many registrations from this address; try again later.").withHeader("Retry-After", String.valueOf(retryAfter)));
      }
      return Future.succeededFuture();
    });
  }
}
