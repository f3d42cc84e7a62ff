package io.latchkey.common.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Deletes audit events older than {@code AUDIT_RETENTION_DAYS}, periodically, on every node, in
 * batches of {@link #BATCH_SIZE} per statement and at most {@link #MAX_BATCHES_PER_RUN} batches a
 * run (the next run goes on). Nodes running it at once take disjoint batches
 * ({@link AuditTrail#deleteDueBatch}); with nothing due a run is one index probe.
 */
public final class AuditRetention {

  private static final Logger LOG = LoggerFactory.getLogger(AuditRetention.class);
  public static final int BATCH_SIZE = 5_000;
  static final int MAX_BATCHES_PER_RUN = 20;
  /** How often a node looks for events past their retention. */
  public static final Duration INTERVAL = Duration.ofMinutes(10);

  private final Vertx vertx;
  private final AuditTrail trail;
  private final int retentionDays;
  private final int batchSize;
  private long timerId = -1;
  private boolean running;

  public AuditRetention(Vertx vertx, AuditTrail trail, int retentionDays) {
    this(vertx, trail, retentionDays, BATCH_SIZE);
  }

  public AuditRetention(Vertx vertx, AuditTrail trail, int retentionDays, int batchSize) {
    this.vertx = vertx;
    this.trail = trail;
    this.retentionDays = retentionDays;
    this.batchSize = batchSize;
  }

  public void start() {
    timerId = vertx.setPeriodic(INTERVAL.toMillis(), id -> {
      if (!running) {
        running = true;
        runOnce().onComplete(ar -> running = false);
      }
    });
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  /** One run: batches until one comes back short or the run's bound. The events deleted. */
  public Future<Integer> runOnce() {
    return batch(0, 0)
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("audit retention deleted {} event(s) older than {} days", n, retentionDays);
        }
      })
      .onFailure(err -> LOG.warn("audit retention failed: {}", err.toString()));
  }

  private Future<Integer> batch(int done, int total) {
    return trail.deleteDueBatch(retentionDays, batchSize).compose(deleted -> deleted < batchSize || done + 1 >= MAX_BATCHES_PER_RUN
      ? Future.succeededFuture(total + deleted)
      : batch(done + 1, total + deleted));
  }
}
