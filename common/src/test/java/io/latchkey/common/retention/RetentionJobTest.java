package io.latchkey.common.retention;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestPostgres;
import io.latchkey.common.retention.RetentionJob.Result;
import io.latchkey.common.retention.RetentionJob.RuleRun;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The retention mechanism on a table of its own: what is due goes and nothing else, in bounded
 * batches, one node at a time per rule (the advisory lock), a failing rule leaves the others
 * running, deletions are counted and logged, and the job runs periodically until undeployed.
 */
@ExtendWith(VertxExtension.class)
class RetentionJobTest {

  private static final Duration WEEK = Duration.ofDays(7);

  private Pool pool;
  private DbConfig db;
  private ListAppender<ILoggingEvent> logged;

  @BeforeEach
  void table(Vertx vertx) {
    db = TestPostgres.freshDatabase();
    pool = Database.pool(vertx, db);
    await(pool.query("""
      CREATE TABLE notes (id bigserial PRIMARY KEY, kind text NOT NULL, done_at timestamptz, closed_at timestamptz);
      CREATE INDEX notes_done ON notes (done_at) WHERE done_at IS NOT NULL;
      CREATE INDEX notes_closed ON notes (closed_at) WHERE closed_at IS NOT NULL""").execute());
    Logger logger = (Logger) LoggerFactory.getLogger(RetentionJob.class);
    logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    logger.setLevel(Level.DEBUG);
  }

  @AfterEach
  void close() {
    ((Logger) LoggerFactory.getLogger(RetentionJob.class)).detachAppender(logged);
    await(pool.close());
  }

  /** {@code count} rows of {@code kind}, done {@code daysAgo} days ago (null: not done). */
  private void insert(String kind, int count, Integer doneDaysAgo, Integer closedDaysAgo) {
    await(pool.preparedQuery("""
        INSERT INTO notes (kind, done_at, closed_at)
        SELECT $1, now() - $2::int * interval '1 day', now() - $3::int * interval '1 day' FROM generate_series(1, $4)""")
      .execute(Tuple.of(kind, doneDaysAgo, closedDaysAgo, count)));
  }

  private long count(String kind) {
    return await(pool.preparedQuery("SELECT count(*) AS n FROM notes WHERE kind = $1").execute(Tuple.of(kind)))
      .iterator().next().getLong("n");
  }

  private static RetentionRule doneRule() {
    return RetentionRule.olderThan("notes", WEEK, "done_at");
  }

  private RetentionJob job(List<RetentionRule> rules, int batch, int maxBatches, MeterRegistry metrics) {
    return new RetentionJob(pool, rules, Duration.ZERO, batch, maxBatches, metrics);
  }

  @Test
  void deletesExactlyTheRowsPastTheRetentionAndCountsThemByTable() {
    insert("due", 3, 8, null);
    insert("recent", 2, 6, null);
    insert("open", 4, null, null);
    MeterRegistry metrics = new SimpleMeterRegistry();

    List<RuleRun> runs = await(job(List.of(doneRule()), 100, 5, metrics).runOnce());

    assertThat(runs).containsExactly(new RuleRun("notes", "notes", 3, 1, Result.DONE));
    assertThat(count("due")).isZero();
    assertThat(count("recent")).as("6 days old, inside the week").isEqualTo(2);
    assertThat(count("open")).as("never done: never due").isEqualTo(4);
    assertThat(metrics.get("latchkey.retention.deleted").tag("table", "notes").counter().count()).isEqualTo(3.0);
    assertThat(messages(Level.INFO)).singleElement().asString().contains("retention notes", "deleted 3 row(s)", "7 day(s)");

    // nothing due: nothing deleted, nothing logged at INFO
    assertThat(await(job(List.of(doneRule()), 100, 5, metrics).runOnce())).containsExactly(new RuleRun("notes", "notes", 0, 1, Result.DONE));
    assertThat(messages(Level.INFO)).hasSize(1);
  }

  @Test
  void aRunStopsAfterItsBatchesAndTheNextRunGoesOn() {
    insert("due", 25, 30, null);
    RetentionJob job = job(List.of(doneRule()), 4, 3, new SimpleMeterRegistry());

    assertThat(await(job.runOnce())).containsExactly(new RuleRun("notes", "notes", 12, 3, Result.BOUNDED));
    assertThat(count("due")).isEqualTo(13);
    assertThat(messages(Level.INFO)).singleElement().asString().contains("more are due");
    assertThat(await(job.runOnce())).containsExactly(new RuleRun("notes", "notes", 12, 3, Result.BOUNDED));
    assertThat(await(job.runOnce())).containsExactly(new RuleRun("notes", "notes", 1, 1, Result.DONE));
    assertThat(count("due")).isZero();
  }

  @Test
  void aRowDueByTwoColumnsIsDeletedOnceAndABatchStaysBounded() {
    insert("done-old", 2, 10, null);
    insert("closed-old", 2, 1, 10);
    insert("both-old", 2, 10, 10);
    insert("both-new", 2, 1, 1);
    RetentionRule rule = RetentionRule.olderThan("notes", WEEK, "done_at", "closed_at");

    List<RuleRun> first = await(job(List.of(rule), 4, 1, new SimpleMeterRegistry()).runOnce());
    assertThat(first).containsExactly(new RuleRun("notes", "notes", 4, 1, Result.BOUNDED));
    List<RuleRun> second = await(job(List.of(rule), 4, 1, new SimpleMeterRegistry()).runOnce());
    assertThat(second).containsExactly(new RuleRun("notes", "notes", 2, 1, Result.DONE));
    assertThat(count("done-old") + count("closed-old") + count("both-old")).isZero();
    assertThat(count("both-new")).isEqualTo(2);
  }

  @Test
  void aRuleWhoseLockAnotherNodeHoldsIsSkippedWhileTheOtherRulesRun() {
    insert("due", 5, 8, null);
    insert("closed", 3, null, 8);
    RetentionRule done = doneRule();
    RetentionRule closed = new RetentionRule("notes-closed", "notes", RetentionRule.olderThan("notes", WEEK, "closed_at").sql(), WEEK);
    assertThat(done.lockKey()).isNotEqualTo(closed.lockKey()).isEqualTo(doneRule().lockKey());
    RetentionJob job = job(List.of(done, closed), 100, 5, new SimpleMeterRegistry());

    // another node is deleting from the table under the rule's lock, in its own transaction
    Promise<Void> release = Promise.promise();
    Promise<Void> held = Promise.promise();
    Future<Void> otherNode = pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
      .execute(Tuple.of(done.lockKey())).compose(v -> {
        held.complete();
        return release.future();
      }));
    await(held.future());
    List<RuleRun> whileHeld = await(job.runOnce());
    release.complete();
    await(otherNode);

    assertThat(whileHeld).containsExactly(new RuleRun("notes", "notes", 0, 0, Result.SKIPPED),
      new RuleRun("notes-closed", "notes", 3, 1, Result.DONE));
    assertThat(count("due")).as("the skipped rule deleted nothing").isEqualTo(5);
    assertThat(count("closed")).isZero();
    // the lock is free again: the next run does it
    assertThat(await(job.runOnce()).get(0)).isEqualTo(new RuleRun("notes", "notes", 5, 1, Result.DONE));
    assertThat(count("due")).isZero();
  }

  @Test
  void twoNodesRunningAtOnceDeleteEachDueRowOnce(Vertx vertx) {
    insert("due", 300, 8, null);
    Pool other = Database.pool(vertx, db);
    try {
      RetentionJob one = job(List.of(doneRule()), 10, 100, new SimpleMeterRegistry());
      RetentionJob two = new RetentionJob(other, List.of(doneRule()), Duration.ZERO, 10, 100, new SimpleMeterRegistry());
      Future<List<RuleRun>> first = one.runOnce();
      Future<List<RuleRun>> second = two.runOnce();
      await(Future.all(first, second));
      int deleted = first.result().get(0).deleted() + second.result().get(0).deleted();
      assertThat(deleted).isEqualTo(300);
      assertThat(count("due")).isZero();
    } finally {
      await(other.close());
    }
  }

  @Test
  void aFailingRuleIsLoggedAtWarnAndTheNextRuleStillRuns() {
    insert("due", 2, 8, null);
    RetentionRule broken = new RetentionRule("broken", "missing", "DELETE FROM no_such_table WHERE $1::int > 0 AND $2::bigint > 0", WEEK);
    MeterRegistry metrics = new SimpleMeterRegistry();

    List<RuleRun> runs = await(job(List.of(broken, doneRule()), 100, 5, metrics).runOnce());

    assertThat(runs).containsExactly(new RuleRun("broken", "missing", 0, 0, Result.FAILED), new RuleRun("notes", "notes", 2, 1, Result.DONE));
    assertThat(count("due")).isZero();
    assertThat(messages(Level.WARN)).singleElement().asString().contains("retention broken failed", "no_such_table");
    assertThat(metrics.get("latchkey.retention.deleted").tag("table", "missing").counter().count()).isZero();
  }

  @Test
  void deployedItRunsPeriodicallyAndUndeployedItStops(Vertx vertx) {
    insert("due", 3, 8, null);
    RetentionJob job = new RetentionJob(pool, List.of(doneRule()), Duration.ofMillis(100), 100, 5, new SimpleMeterRegistry());
    String id = await(vertx.deployVerticle(job));
    assertThat(until(vertx, () -> Future.succeededFuture(count("due") == 0), 5000)).as("a periodic run deleted the rows").isTrue();

    await(vertx.undeploy(id));
    insert("later", 2, 8, null);
    // five intervals without the job: the rows stay
    await(vertx.timer(500));
    assertThat(count("later")).isEqualTo(2);
  }

  @Test
  void undeployingWaitsForTheRunningBatchToEnd(Vertx vertx) {
    insert("due", 3, 8, null);
    // a batch that takes half a second in PostgreSQL
    RetentionRule slow = new RetentionRule("slow", "notes", "DELETE FROM notes WHERE ctid = ANY (ARRAY(SELECT ctid FROM notes"
      + " WHERE pg_sleep(0.5) IS NOT NULL AND done_at < now() - $2::bigint * interval '1 second' ORDER BY done_at LIMIT $1))", WEEK);
    RetentionJob job = new RetentionJob(pool, List.of(slow), Duration.ofMillis(50), 100, 5, new SimpleMeterRegistry());
    String id = await(vertx.deployVerticle(job));
    assertThat(until(vertx, () -> pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(0.5)%'"
      + " AND query NOT LIKE '%pg_stat_activity%'").execute().map(rows -> rows.iterator().next().getLong("n") > 0), 5000))
      .as("the batch is running").isTrue();

    await(vertx.undeploy(id));

    assertThat(count("due")).as("the undeploy returned after the batch committed").isZero();
  }

  private List<String> messages(Level level) {
    return logged.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }
}
