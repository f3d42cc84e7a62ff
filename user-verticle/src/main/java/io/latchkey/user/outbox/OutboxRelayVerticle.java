package io.latchkey.user.outbox;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the outbox relay's sweep every {@code sweepMs}: notices whose immediate delivery failed
 * (auth service absent, slow or refusing) are retried here with backoff until acknowledged.
 * One sweep at a time per node; several nodes sweep side by side safely (row locks).
 */
public final class OutboxRelayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelayVerticle.class);

  private final OutboxRelay relay;
  private final long sweepMs;
  private long timerId = -1;
  private Future<?> sweep;

  public OutboxRelayVerticle(OutboxRelay relay, long sweepMs) {
    this.relay = relay;
    this.sweepMs = sweepMs;
  }

  @Override
  public Future<?> start() {
    timerId = vertx.setPeriodic(sweepMs, id -> sweepOnce());
    sweepOnce();
    return Future.succeededFuture();
  }

  private void sweepOnce() {
    if (sweep != null) {
      return;
    }
    Future<Integer> running = relay.sweep()
      .onSuccess(users -> {
        if (users > 0) {
          LOG.debug("outbox sweep handled {} user(s) with due notices", users);
        }
      })
      .onFailure(err -> LOG.warn("outbox sweep failed: {}", err.toString()));
    sweep = running;
    // a sweep that completed at once has already run this; the check keeps a later sweep's mark
    running.onComplete(ar -> {
      if (sweep == running) {
        sweep = null;
      }
    });
  }

  @Override
  public Future<?> stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    // let a running sweep finish before the pool it uses is closed
    return sweep == null ? Future.succeededFuture() : sweep.otherwiseEmpty();
  }
}
