package io.latchkey.common.retention;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's retention: every {@code interval} it runs its {@link RetentionRule}s one after
 * another. A rule deletes in batches of at most {@code batchSize} rows, each batch one statement
 * in a transaction of its own that first takes the rule's PostgreSQL advisory lock
 * ({@code pg_try_advisory_xact_lock}): while one node deletes from a table, another node that
 * tries skips the rule until its next run instead of waiting, so nodes never compete for the
 * same rows, and no lock outlives a batch. A rule stops at a short batch (nothing more is due),
 * after {@code maxBatches} (the rest waits for the next run, which bounds what one run costs), or
 * when another node holds its lock. A failing rule is logged at WARN and the next rule runs.
 *
 * <p>Deleted rows are counted in {@code latchkey_retention_deleted_total{table}} and logged at
 * INFO when there were any. Everything is asynchronous on the pool; a run never overlaps the
 * previous one on the same node, and undeploying waits for a running one to end, so the pool
 * can close after it.
 */
public final class RetentionJob extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);
  /** Batches one rule runs at most per run. */
  public static final int MAX_BATCHES_PER_RUN = 100;
  /** The first run comes this soon after the start (or after one interval, if that is shorter). */
  static final Duration FIRST_RUN_AFTER = Duration.ofMinutes(1);
  private static final String LOCK = "SELECT pg_try_advisory_xact_lock($1) AS locked";

  /** How a rule's run ended. */
  public enum Result {
    /** A batch came back short: nothing more was due. */
    DONE,
    /** {@code maxBatches} full batches: more may be due, the next run goes on. */
    BOUNDED,
    /** Another node held the rule's lock: it is deleting from the table. */
    SKIPPED,
    /** A statement failed (logged at WARN); the rows of the batches before it stay deleted. */
    FAILED
  }

  /** One rule's part of a run. */
  public record RuleRun(String rule, String table, int deleted, int batches, Result result) {
  }

  private final Pool pool;
  private final List<RetentionRule> rules;
  private final Duration interval;
  private final int batchSize;
  private final int maxBatches;
  private final Map<String, Counter> deletedByTable = new HashMap<>();
  private long timerId = -1;
  private Future<List<RuleRun>> running;

  /** The job with the service's settings: {@link RetentionSettings#interval}, {@link RetentionSettings#batchSize}, {@link #MAX_BATCHES_PER_RUN}. */
  public RetentionJob(Pool pool, List<RetentionRule> rules, RetentionSettings settings, MeterRegistry metrics) {
    this(pool, rules, settings.interval(), settings.batchSize(), MAX_BATCHES_PER_RUN, metrics);
  }

  /** {@code interval} zero: no periodic run (only {@link #runOnce}). */
  public RetentionJob(Pool pool, List<RetentionRule> rules, Duration interval, int batchSize, int maxBatches, MeterRegistry metrics) {
    this.pool = pool;
    this.rules = List.copyOf(rules);
    this.interval = interval;
    this.batchSize = batchSize;
    this.maxBatches = maxBatches;
    for (RetentionRule rule : this.rules) {
      deletedByTable.computeIfAbsent(rule.table(), table -> Counter.builder("latchkey.retention.deleted").tag("table", table)
        .description("rows the retention deleted because they were past their table's retention, by table").register(metrics));
    }
  }

  @Override
  public Future<?> start() {
    if (!interval.isZero()) {
      long every = interval.toMillis();
      timerId = vertx.setPeriodic(Math.min(every, FIRST_RUN_AFTER.toMillis()), every, id -> tick());
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    // the rule running now ends its batch (and so the run) before the pool closes
    return running == null ? Future.succeededFuture() : running.mapEmpty();
  }

  /** A run, unless the previous one is still going (a slow database must not pile runs up). */
  private void tick() {
    if (running != null) {
      return;
    }
    Future<List<RuleRun>> run = runOnce();
    running = run;
    run.onComplete(ar -> {
      if (running == run) {
        running = null;
      }
    });
  }

  /** Runs every rule once, one after another; never fails (a failed rule is a {@link Result#FAILED} entry). */
  public Future<List<RuleRun>> runOnce() {
    Future<List<RuleRun>> chain = Future.succeededFuture(new ArrayList<>());
    for (RetentionRule rule : rules) {
      chain = chain.compose(done -> run(rule).map(one -> {
        done.add(one);
        return done;
      }));
    }
    return chain.map(List::copyOf);
  }

  private Future<RuleRun> run(RetentionRule rule) {
    Progress progress = new Progress();
    return batches(rule, progress).transform(ar -> {
      Result result = ar.succeeded() ? ar.result() : Result.FAILED;
      RuleRun run = new RuleRun(rule.name(), rule.table(), progress.deleted, progress.batches, result);
      if (ar.failed()) {
        LOG.warn("retention {} failed after deleting {} row(s): {}", rule.name(), progress.deleted, ar.cause().toString());
      } else if (progress.deleted > 0) {
        LOG.info("retention {}: deleted {} row(s) older than {} in {} batch(es){}", rule.name(), progress.deleted,
          describe(rule.keep()), progress.batches, switch (result) {
            case BOUNDED -> "; more are due, the next run goes on (a run stops at " + maxBatches + " batches of " + batchSize + ")";
            case SKIPPED -> "; another node took the rule over";
            default -> "";
          });
      } else if (result == Result.SKIPPED) {
        LOG.debug("retention {}: another node holds its lock, skipped", rule.name());
      }
      return Future.succeededFuture(run);
    });
  }

  /** Batches until one is short, the bound, or another node's lock; each batch one transaction. */
  private Future<Result> batches(RetentionRule rule, Progress progress) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(rule.lockKey()))
        .compose(rows -> Boolean.TRUE.equals(rows.iterator().next().getBoolean("locked"))
          ? conn.preparedQuery(rule.sql()).execute(Tuple.of(batchSize, rule.keep().toSeconds())).map(RowSet::rowCount)
          : Future.succeededFuture(-1)))
      .compose(deleted -> {
        if (deleted < 0) {
          return Future.succeededFuture(Result.SKIPPED);
        }
        // counted once committed
        progress.deleted += deleted;
        progress.batches++;
        deletedByTable.get(rule.table()).increment(deleted);
        if (deleted < batchSize) {
          return Future.succeededFuture(Result.DONE);
        }
        return progress.batches >= maxBatches ? Future.succeededFuture(Result.BOUNDED) : batches(rule, progress);
      });
  }

  private static String describe(Duration keep) {
    long seconds = keep.toSeconds();
    return seconds % 86_400 == 0 ? seconds / 86_400 + " day(s)" : seconds + " s";
  }

  /** A rule's rows and batches so far in this run. */
  private static final class Progress {
    private int deleted;
    private int batches;
  }
}
