package io.latchkey.user.mail;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Runs the mail relay: a sweep every MAIL_SWEEP_MS (mails whose server was down are retried
 * here) and one at once when a change queued a mail ({@link MailRelay#kick}). Sent mails and
 * expired tokens are deleted by the service's retention (io.latchkey.common.retention).
 */
public final class MailRelayVerticle extends VerticleBase {

  private final MailRelay relay;
  private final Mailer mailer;
  private final long sweepMs;
  private long sweepTimer = -1;

  public MailRelayVerticle(MailRelay relay, Mailer mailer, long sweepMs) {
    this.relay = relay;
    this.mailer = mailer;
    this.sweepMs = sweepMs;
  }

  @Override
  public Future<?> start() {
    relay.attach(context);
    sweepTimer = vertx.setPeriodic(sweepMs, id -> relay.sweepNow());
    relay.sweepNow();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    relay.attach(null);
    // let a running sweep finish before the pool it uses closes
    return relay.idle().compose(v -> mailer.close()).otherwiseEmpty();
  }
}
