package io.latchkey.auth.http;

import java.util.List;

/**
 * The auth service's name for {@link io.latchkey.common.TrustedProxies}, which moved to
 * {@code common} when the user service needed the same client-IP rule (registration limit). Kept
 * so that code and tests written against this name still compile; new code uses the common one.
 */
public final class TrustedProxies extends io.latchkey.common.TrustedProxies {

  private TrustedProxies(io.latchkey.common.TrustedProxies parsed) {
    super(parsed);
  }

  /** See {@link io.latchkey.common.TrustedProxies#parse}. */
  public static TrustedProxies parse(List<String> entries) {
    return new TrustedProxies(io.latchkey.common.TrustedProxies.parse(entries));
  }
}
