package io.latchkey.user.mail;

import io.latchkey.user.mail.MailTemplates.Rendered;
import io.latchkey.user.model.User;
import io.latchkey.user.repo.MailOutboxRepository.Kind;
import io.latchkey.user.repo.MailOutboxRepository.PendingMail;
import io.latchkey.user.repo.MailOutboxRepository;
import io.latchkey.user.repo.UserRepository;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Sends what the mail outbox holds until the SMTP server accepts it: at least once, and once in
 * practice — a relay claims a batch of due mails with a lease (one committed statement, rows
 * another relay is claiming are skipped), so on any number of user nodes each mail has one
 * sender at a time; a refused or unreachable server pushes that mail back with a doubling delay
 * (MAIL_BACKOFF_MIN_MS up to MAIL_BACKOFF_MAX_MS) and the others go on. Only a relay that dies
 * between the server's acceptance and its own "sent" mark can send a mail twice (the lease
 * expires and another relay sends it again).
 *
 * <p>A reset request is resolved here, not in the request: the address is looked up, and for
 * an active account a reset token is made (older ones retired) and the row becomes its reset
 * mail in one transaction; for an address that is nobody's (or a disabled account) the row is
 * closed without a mail. The request itself only wrote one row, whoever the address belongs to.
 *
 * <p>Tokens are only in the sealed column until sent, then erased; no token, link or mail body
 * is ever logged (mail ids and kinds are).
 */
public final class MailRelay {

  private static final Logger LOG = LoggerFactory.getLogger(MailRelay.class);
  private static final int BATCH = 10;

  private final Vertx vertx;
  private final Pool pool;
  private final MailOutboxRepository mails;
  private final UserRepository users;
  private final MailQueue queue;
  private final TokenSeal seal;
  private final MailTemplates templates;
  private final Mailer mailer;
  private final MailSettings settings;
  private final long leaseMs;
  private volatile Context context;
  /** Touched only on {@link #context}: a sweep is running; another was asked for meanwhile. */
  private boolean running;
  private boolean again;
  private Future<Void> current = Future.succeededFuture();

  public MailRelay(Vertx vertx, Pool pool, MailOutboxRepository mails, UserRepository users,
                   MailQueue queue, TokenSeal seal, MailTemplates templates, Mailer mailer, MailSettings settings) {
    this.vertx = vertx;
    this.pool = pool;
    this.mails = mails;
    this.users = users;
    this.queue = queue;
    this.seal = seal;
    this.templates = templates;
    this.mailer = mailer;
    this.settings = settings;
    // a claimed batch is sent in parallel, each attempt bounded by the send timeout
    this.leaseMs = settings.sendTimeoutMs() + 30_000;
  }

  /** The context sweeps run on (the relay verticle's); until it is set, {@link #kick} only leaves the mail to the next sweep. */
  void attach(Context relayContext) {
    this.context = relayContext;
  }

  /** Asks for a sweep now (a mail was just queued); safe from any thread. */
  public void kick() {
    Context ctx = context;
    if (ctx != null) {
      ctx.runOnContext(v -> sweepNow());
    }
  }

  /** Runs a sweep unless one is running; then one more follows it. On the relay's context only. */
  void sweepNow() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    current = sweepUntilIdle().onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        LOG.warn("mail sweep failed: {}", ar.cause().toString());
      }
      if (again) {
        sweepNow();
      }
    });
  }

  /** Completes when the running sweep (if any) has finished: the verticle waits for it before the pool closes. */
  Future<Void> idle() {
    return current.otherwiseEmpty();
  }

  /** Sweeps while full batches keep coming (a backlog drains at once, not one batch per period). */
  private Future<Void> sweepUntilIdle() {
    return sweep().compose(handled -> handled >= BATCH ? sweepUntilIdle() : Future.succeededFuture());
  }

  /** Claims one batch of due mails and sends them; the number claimed. */
  public Future<Integer> sweep() {
    UUID owner = UUID.randomUUID();
    return mails.claimDue(pool, owner, leaseMs, BATCH).compose(batch -> {
      List<Future<Void>> sent = new ArrayList<>();
      for (PendingMail mail : batch) {
        sent.add(deliver(mail, owner).recover(err -> {
          LOG.warn("[{}] mail {} ({}) could not be handled: {}", mail.requestId(), mail.id(), mail.kind().wire(), err.toString());
          return Future.succeededFuture();
        }));
      }
      return Future.join(sent).map(batch.size());
    });
  }

  private Future<Void> deliver(PendingMail mail, UUID owner) {
    Future<Optional<PendingMail>> ready = mail.kind() == Kind.RESET_REQUEST ? resolve(mail, owner) : Future.succeededFuture(Optional.of(mail));
    return ready.compose(resolved -> resolved.isEmpty() ? Future.succeededFuture() : send(resolved.get(), owner));
  }

  /** The reset request's address: an active account gets a token and the row becomes its reset mail; otherwise no mail. */
  private Future<Optional<PendingMail>> resolve(PendingMail mail, UUID owner) {
    return pool.withTransaction(conn -> users.findByEmail(conn, mail.recipient())
      .compose(found -> found.isEmpty() ? Future.succeededFuture(Optional.<User>empty())
        // the user's row lock orders this with other resets and password changes of the user
        : users.findByIdForUpdate(conn, found.get().id()))
      .compose(user -> {
        if (user.isEmpty() || user.get().disabled()) {
          return mails.markNoAccount(conn, mail.id(), owner).map(v -> {
            LOG.info("[{}] reset request {}: no active account has this address, no mail sent", mail.requestId(), mail.id());
            return Optional.<PendingMail>empty();
          });
        }
        User u = user.get();
        return queue.resetToken(conn, u).compose(sealed -> mails.resolveReset(conn, mail.id(), owner, u.id(), sealed)
          .compose(mine -> mine
            ? Future.succeededFuture(Optional.of(new PendingMail(mail.id(), Kind.PASSWORD_RESET, u.id(), mail.recipient(), sealed,
                mail.requestId(), mail.attempts(), mail.createdAt())))
            // the lease ran out and another relay took the row: roll this token back, it sends its own
            : Future.failedFuture(new IllegalStateException("lease of mail " + mail.id() + " lost"))));
      }));
  }

  private Future<Void> send(PendingMail mail, UUID owner) {
    return users.findById(pool, mail.userId()).compose(user -> {
      if (user.isEmpty()) {
        return mails.markNoAccount(pool, mail.id(), owner).map(v -> {
          LOG.info("[{}] mail {} ({}) not sent: the user was deleted", mail.requestId(), mail.id(), mail.kind().wire());
          return null;
        });
      }
      Rendered rendered;
      try {
        rendered = render(mail, user.get());
      } catch (IllegalStateException unsealable) {
        LOG.error("[{}] mail {} ({}): its token cannot be opened with this node's keys (was API_KEYS rotated before the"
          + " mail outbox drained?); retried later", mail.requestId(), mail.id(), mail.kind().wire());
        return mails.markFailed(pool, mail.id(), owner, settings.backoffMaxMs(), "token cannot be opened with the configured keys");
      }
      return mailer.send(mail.recipient(), rendered).transform(ar -> {
        if (ar.succeeded()) {
          return mails.markSent(pool, mail.id(), owner).map(mine -> {
            LOG.info("[{}] mail {} ({}) for user {} accepted by the SMTP server", mail.requestId(), mail.id(), mail.kind().wire(),
              mail.userId());
            return null;
          });
        }
        long delay = backoff(mail.attempts());
        LOG.warn("[{}] mail {} ({}) not accepted (attempt {}), retry in {} ms: {}", mail.requestId(), mail.id(), mail.kind().wire(),
          mail.attempts() + 1, delay, describe(ar.cause()));
        return mails.markFailed(pool, mail.id(), owner, delay, describe(ar.cause()));
      });
    });
  }

  private Rendered render(PendingMail mail, User user) {
    String link = null;
    String validFor = null;
    if (mail.kind() == Kind.VERIFY_EMAIL || mail.kind() == Kind.PASSWORD_RESET) {
      String token = seal.open(mail.sealedToken()).orElseThrow(() -> new IllegalStateException("unsealable"));
      boolean verify = mail.kind() == Kind.VERIFY_EMAIL;
      link = (verify ? settings.verifyUrl() : settings.resetUrl()).replace("{token}", token);
      validFor = humanDuration(verify ? settings.verifyTtlSeconds() : settings.resetTtlSeconds());
    }
    Map<String, String> values = new HashMap<>();
    values.put("username", user.username());
    values.put("email", mail.recipient());
    values.put("link", link);
    values.put("validFor", validFor);
    return templates.render(mail.kind(), values);
  }

  long backoff(int attemptsSoFar) {
    long delay = settings.backoffMinMs();
    for (int i = 0; i < attemptsSoFar && delay < settings.backoffMaxMs(); i++) {
      delay *= 2;
    }
    return Math.min(delay, settings.backoffMaxMs());
  }

  static String humanDuration(long seconds) {
    if (seconds % 86_400 == 0) {
      long days = seconds / 86_400;
      return days == 1 ? "24 hours" : days + " days";
    }
    if (seconds % 3600 == 0) {
      long hours = seconds / 3600;
      return hours == 1 ? "1 hour" : hours + " hours";
    }
    long minutes = Math.max(1, seconds / 60);
    return minutes == 1 ? "1 minute" : minutes + " minutes";
  }

  /** The failure without anything the mail carried: SMTP servers quote commands back, never the body. */
  private static String describe(Throwable err) {
    String message = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    return message.length() > 300 ? message.substring(0, 300) : message;
  }
}
