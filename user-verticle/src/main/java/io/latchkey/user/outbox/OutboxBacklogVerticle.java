package io.latchkey.user.outbox;

import io.latchkey.user.repo.MailOutboxRepository;
import io.latchkey.user.repo.OutboxRepository;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code latchkey_outbox_backlog{outbox}} and {@code latchkey_outbox_oldest_age_seconds{outbox}}
 * for the two outboxes, {@code notices} (to the auth service) and {@code mail} (to the SMTP
 * server). They are measured every {@code intervalMs} (OUTBOX_METRICS_MS) with one statement per
 * table, and the gauges read the last measurement: a scrape never reaches PostgreSQL, so scraping
 * often (or from several Prometheus servers) costs the database nothing. Every user node measures
 * the same tables; a failed measurement sets the gauges to NaN until the next one succeeds.
 */
public final class OutboxBacklogVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxBacklogVerticle.class);
  private static final OutboxRepository.Backlog UNKNOWN = new OutboxRepository.Backlog(-1, Double.NaN);

  private final Pool pool;
  private final OutboxRepository notices;
  private final MailOutboxRepository mails;
  private final long intervalMs;
  private final AtomicReference<OutboxRepository.Backlog> noticeBacklog = new AtomicReference<>(UNKNOWN);
  private final AtomicReference<OutboxRepository.Backlog> mailBacklog = new AtomicReference<>(UNKNOWN);
  private long timerId = -1;
  private Future<?> measuring;

  public OutboxBacklogVerticle(Pool pool, OutboxRepository notices, MailOutboxRepository mails, long intervalMs,
                               MeterRegistry metrics) {
    this.pool = pool;
    this.notices = notices;
    this.mails = mails;
    this.intervalMs = intervalMs;
    register(metrics, "notices", noticeBacklog);
    register(metrics, "mail", mailBacklog);
  }

  private static void register(MeterRegistry metrics, String outbox, AtomicReference<OutboxRepository.Backlog> backlog) {
    Gauge.builder("latchkey.outbox.backlog", backlog, b -> b.get().rows() < 0 ? Double.NaN : b.get().rows())
      .tag("outbox", outbox).description("rows of the outbox not yet delivered (notices) or sent (mail), as last measured")
      .register(metrics);
    Gauge.builder("latchkey.outbox.oldest.age", backlog, b -> b.get().oldestAgeSeconds()).baseUnit("seconds")
      .tag("outbox", outbox).description("age of the oldest row not yet delivered or sent (0: none), as last measured")
      .register(metrics);
  }

  @Override
  public Future<?> start() {
    timerId = vertx.setPeriodic(intervalMs, id -> measure());
    measure();
    return Future.succeededFuture();
  }

  /** One measurement of both outboxes, unless the previous one is still running. */
  Future<?> measure() {
    if (measuring != null) {
      return measuring;
    }
    Future<?> running = notices.backlog(pool)
      .onSuccess(noticeBacklog::set)
      .compose(v -> mails.backlog(pool))
      .onSuccess(mailBacklog::set)
      .onFailure(err -> {
        noticeBacklog.set(UNKNOWN);
        mailBacklog.set(UNKNOWN);
        LOG.warn("measuring the outbox backlog failed: {}", err.toString());
      });
    measuring = running;
    running.onComplete(ar -> {
      if (measuring == running) {
        measuring = null;
      }
    });
    return running;
  }

  @Override
  public Future<?> stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    return measuring == null ? Future.succeededFuture() : measuring.otherwiseEmpty();
  }
}
