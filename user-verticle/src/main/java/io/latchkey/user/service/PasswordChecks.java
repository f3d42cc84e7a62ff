package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.PasswordCheck;
import io.latchkey.common.bus.PasswordCheck.Step;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/**
 * Counts the user service's own password checks (the current password of a change) in the
 * account's login lockout, which the auth service owns: one {@link BusAddresses#AUTH_PASSWORD_CHECK}
 * request per step, through the user service's {@link BusClient} to the auth service.
 *
 * <p>Deny by default: when the attempt cannot be reserved (auth service unreachable, or any
 * other answer than "ok" or "locked") the check is not made and the change answers 503
 * {@code auth_service_unavailable}. The steps after the check are best effort: the attempt was
 * already counted by the reservation, so a lost report only delays a lock by one attempt.
 */
public final class PasswordChecks {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordChecks.class);

  private final BusClient authBus;

  public PasswordChecks(BusClient authBus) {
    this.authBus = authBus;
  }

  /** Counts an attempt before the check; 429 too_many_attempts (Retry-After) while locked, 503 when it cannot be counted. */
  public Future<Void> reserve(UUID userId, String requestId) {
    return send(userId, Step.RESERVE, requestId).recover(err -> {
      if (err instanceof ApiException api && api.status() == 429) {
        return Future.failedFuture(api);
      }
      if (!authBus.isUnavailable(err)) {
        LOG.error("[{}] the auth service could not count a password check: {}", requestId, err.toString());
      } else {
        LOG.warn("[{}] the auth service cannot be reached to count a password check", requestId);
      }
      return Future.failedFuture(ApiException.unavailable(ErrorCodes.AUTH_SERVICE_UNAVAILABLE,
        "The auth service cannot be reached to count this password check; try again shortly."));
    });
  }

  /** The check is done: {@code failed}, {@code succeeded} or {@code released}. Never fails. */
  public Future<Void> report(UUID userId, Step step, String requestId) {
    return send(userId, step, requestId).otherwise(err -> {
      LOG.warn("[{}] the auth service did not take the {} report of a password check of user {}: {}", requestId,
        step.wire(), userId, err.toString());
      return null;
    });
  }

  private Future<Void> send(UUID userId, Step step, String requestId) {
    return authBus.request(BusAddresses.AUTH_PASSWORD_CHECK, new PasswordCheck(userId.toString(), step).toJson(), requestId)
      .mapEmpty();
  }
}
