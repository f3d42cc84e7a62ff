package io.latchkey.user.mail;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the mail relay: a sweep every MAIL_SWEEP_MS (mails whose server was down are retried
 * here), one at once when a change queued a mail ({@link MailRelay#kick}), and the deletion of
 * sent mails and expired tokens past MAIL_RETENTION_DAYS every hour.
 */
public final class MailRelayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(MailRelayVerticle.class);
  private static final long CLEANUP_MS = 3600_000;

  private final MailRelay relay;
  private final Mailer mailer;
  private final long sweepMs;
  private long sweepTimer = -1;
  private long cleanupTimer = -1;

  public MailRelayVerticle(MailRelay relay, Mailer mailer, long sweepMs) {
    this.relay = relay;
    this.mailer = mailer;
    this.sweepMs = sweepMs;
  }

  @Override
  public Future<?> start() {
    relay.attach(context);
    sweepTimer = vertx.setPeriodic(sweepMs, id -> relay.sweepNow());
    cleanupTimer = vertx.setPeriodic(60_000, CLEANUP_MS, id -> relay.cleanup()
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("deleted {} sent mail(s) and expired mail token(s) past their retention", n);
        }
      })
      .onFailure(err -> LOG.warn("mail outbox cleanup failed: {}", err.toString())));
    relay.sweepNow();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(cleanupTimer);
    relay.attach(null);
    // let a running sweep finish before the pool it uses closes
    return relay.idle().compose(v -> mailer.close()).otherwiseEmpty();
  }
}
