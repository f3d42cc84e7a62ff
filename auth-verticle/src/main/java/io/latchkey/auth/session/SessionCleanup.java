package io.latchkey.auth.session;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Deletes sessions that ended or were revoked long enough ago that no access token of theirs
 * can be alive, in bounded batches, periodically. One node at a time: each batch runs in a
 * transaction holding a PostgreSQL advisory lock; a node that does not get it skips the run.
 */
public final class SessionCleanup {

  private static final Logger LOG = LoggerFactory.getLogger(SessionCleanup.class);
  /** Advisory lock key of the cleanup ("lk-sess" in ASCII). */
  static final long LOCK_KEY = 0x6c6b2d73657373L;
  private static final int MAX_BATCHES_PER_RUN = 20;

  private final Vertx vertx;
  private final Pool pool;
  private final long keepSeconds;
  private final long refreshTtlSeconds;
  private final int batchSize;
  private final Duration interval;
  private long timerId = -1;
  private boolean running;

  public SessionCleanup(Vertx vertx, Pool pool, Duration accessTokenTtl, Duration refreshTokenTtl, int batchSize, Duration interval) {
    this.vertx = vertx;
    this.pool = pool;
    this.keepSeconds = accessTokenTtl.toSeconds() + 300;
    this.refreshTtlSeconds = refreshTokenTtl.toSeconds();
    this.batchSize = batchSize;
    this.interval = interval;
  }

  public void start() {
    if (!interval.isZero()) {
      timerId = vertx.setPeriodic(interval.toMillis(), id -> {
        if (!running) {
          running = true;
          runOnce().onComplete(ar -> running = false);
        }
      });
    }
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** One run: batches until one comes back short, another node holds the lock, or the run's bound. The rows deleted, -1 if locked elsewhere. */
  public Future<Integer> runOnce() {
    return batch(0, 0).onFailure(err -> LOG.warn("session cleanup failed: {}", err.toString()))
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("session cleanup deleted {} row(s)", n);
        }
      });
  }

  private Future<Integer> batch(int done, int total) {
    return pool.withTransaction(conn -> SessionRepository.deleteExpiredBatch(conn, LOCK_KEY, keepSeconds, refreshTtlSeconds, batchSize))
      .compose(deleted -> {
        if (deleted < 0) {
          return Future.succeededFuture(done == 0 ? -1 : total);
        }
        if (deleted < batchSize || done + 1 >= MAX_BATCHES_PER_RUN) {
          return Future.succeededFuture(total + deleted);
        }
        return batch(done + 1, total + deleted);
      });
  }
}
