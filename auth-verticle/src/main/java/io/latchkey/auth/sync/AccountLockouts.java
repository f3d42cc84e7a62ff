package io.latchkey.auth.sync;

import io.vertx.core.Future;

/**
 * The account side of the login lockout, as a password reset needs it: the failed-login count and
 * lock of one user's account, cleared on every node. The login package owns the counters; sync
 * sits on the same rung and may not import it, so the composition root ({@code AuthModule})
 * hands this in.
 */
@FunctionalInterface
public interface AccountLockouts {

  /** Clears the failure count and any lock of the user's account counter, cluster-wide. Idempotent. */
  Future<Void> clear(String userId, String requestId);
}
