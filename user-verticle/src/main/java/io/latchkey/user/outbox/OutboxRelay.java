package io.latchkey.user.outbox;

import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.BusHeaders;
import io.latchkey.common.RequestIds;
import io.latchkey.user.repo.OutboxRepository.PendingNotice;
import io.latchkey.user.repo.OutboxRepository;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Delivers outbox notices to the auth service ({@code BusAddresses.AUTH_SYNC}) until each is
 * acknowledged with {@code {"applied": true}}: at least once, oldest first per user.
 *
 * <p>A relay claims the user's oldest undelivered notice with a short lease (one committed
 * statement), sends it with no lock and no database connection held, then marks it delivered or
 * failed; so with several relays and several nodes a notice is sent by one relay at a time, a
 * user whose head notice is being sent is skipped by everyone else, and a slow auth service
 * cannot starve the user service's pool. The lease outlasts the bus timeout; a relay that dies
 * while sending loses it, and the notice is sent again later (the auth service deduplicates by
 * event id). A failed delivery pushes only that row's {@code next_attempt_at} back (doubling
 * from the minimum to the maximum backoff), which holds back that user's later notices and
 * nobody else's. Nothing is ever deleted or dropped.
 *
 * <p>Stateless apart from its collaborators, so the HTTP verticles (to deliver a change at once
 * and wait for it) and the relay verticle (the periodic sweep) share one instance.
 */
public final class OutboxRelay {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int LANES = 4;

  /** What one delivery step did. */
  enum Step { NOTHING_DUE, DELIVERED, FAILED }

  private final Vertx vertx;
  private final Pool pool;
  private final OutboxRepository outbox;
  private final BusClient authBus;
  private final long noticeWaitMs;
  /** A claimed notice stays the claiming relay's this long: the bus timeout plus room for the two statements around it. */
  private final long leaseMs;
  private final long backoffMinMs;
  private final long backoffMaxMs;
  private final int batchUsers;

  public OutboxRelay(Vertx vertx, Pool pool, OutboxRepository outbox, BusClient authBus, long noticeWaitMs,
                     long busTimeoutMs, long backoffMinMs, long backoffMaxMs, int batchUsers) {
    this.vertx = vertx;
    this.pool = pool;
    this.outbox = outbox;
    this.authBus = authBus;
    this.noticeWaitMs = noticeWaitMs;
    this.leaseMs = busTimeoutMs + 10_000;
    this.backoffMinMs = backoffMinMs;
    this.backoffMaxMs = backoffMaxMs;
    this.batchUsers = batchUsers;
  }

  /**
   * Tries to deliver the user's notices now, and waits until notice {@code eventId} is
   * acknowledged or the notice wait bound has passed, whichever comes first. Never fails: the
   * change is committed either way, and the relay keeps retrying. True when acknowledged.
   */
  public Future<Boolean> deliverAndAwait(UUID userId, long eventId, String requestId) {
    Promise<Boolean> outcome = Promise.promise();
    long deadline = System.currentTimeMillis() + noticeWaitMs;
    long timer = vertx.setTimer(Math.max(1, noticeWaitMs), t -> {
      if (outcome.tryComplete(false)) {
        LOG.warn("[{}] notice {} for user {} not acknowledged within {} ms; the relay keeps retrying",
          requestId, eventId, userId, noticeWaitMs);
      }
    });
    awaitLoop(userId, eventId, requestId, deadline).onComplete(ar -> {
      vertx.cancelTimer(timer);
      outcome.tryComplete(ar.succeeded() && ar.result());
    });
    return outcome.future();
  }

  private Future<Boolean> awaitLoop(UUID userId, long eventId, String requestId, long deadline) {
    return deliverUser(userId)
      .recover(err -> {
        LOG.warn("[{}] delivering notices of user {} failed: {}", requestId, userId, err.toString());
        return Future.succeededFuture();
      })
      .compose(v -> outbox.isDelivered(pool, eventId))
      .compose(delivered -> {
        long left = deadline - System.currentTimeMillis();
        if (delivered || left <= 0) {
          return Future.succeededFuture(delivered);
        }
        // another relay holds the head, or the last attempt failed and backs off: look again soon
        return vertx.timer(Math.min(100, left)).compose(t -> awaitLoop(userId, eventId, requestId, deadline));
      });
  }

  /** Delivers the user's due notices in order until none is due or one fails. */
  public Future<Void> deliverUser(UUID userId) {
    return deliverOne(userId).compose(step -> step == Step.DELIVERED ? deliverUser(userId) : Future.succeededFuture());
  }

  /** One sweep: every user with a due notice (up to the batch size), a few users at a time. */
  public Future<Integer> sweep() {
    return outbox.usersWithDueNotices(pool, batchUsers).compose(users -> {
      if (users.isEmpty()) {
        return Future.succeededFuture(0);
      }
      List<Future<Void>> lanes = new ArrayList<>();
      for (int lane = 0; lane < LANES; lane++) {
        List<UUID> mine = new ArrayList<>();
        for (int i = lane; i < users.size(); i += LANES) {
          mine.add(users.get(i));
        }
        lanes.add(deliverSequentially(mine, 0));
      }
      return Future.join(lanes).map(users.size());
    });
  }

  private Future<Void> deliverSequentially(List<UUID> users, int index) {
    if (index >= users.size()) {
      return Future.succeededFuture();
    }
    return deliverUser(users.get(index))
      .recover(err -> {
        LOG.warn("delivering notices of user {} failed: {}", users.get(index), err.toString());
        return Future.succeededFuture();
      })
      .compose(v -> deliverSequentially(users, index + 1));
  }

  private Future<Step> deliverOne(UUID userId) {
    UUID lease = UUID.randomUUID();
    return outbox.claimHead(pool, userId, lease, leaseMs).compose(head -> {
      if (head.isEmpty()) {
        return Future.succeededFuture(Step.NOTHING_DUE);
      }
      PendingNotice pending = head.get();
      long eventId = pending.notice().eventId();
      return send(pending).transform(sent -> {
        if (sent.succeeded()) {
          return outbox.markDelivered(pool, eventId, lease).map(mine -> {
            LOG.info("[{}] notice {} ({}) for user {} acknowledged by the auth service", pending.requestId(), eventId,
              pending.notice().type().wire(), userId);
            if (mine) {
              publish(pending); // only once the delivered mark is committed, and only by the relay that delivered it
            }
            return Step.DELIVERED;
          });
        }
        long delay = backoff(pending.attempts());
        LOG.warn("[{}] notice {} ({}) for user {} not delivered (attempt {}), retry in {} ms: {}", pending.requestId(), eventId,
          pending.notice().type().wire(), userId, pending.attempts() + 1, delay, sent.cause().getMessage());
        return outbox.markFailed(pool, eventId, lease, delay, shorten(sent.cause().getMessage())).map(Step.FAILED);
      });
    });
  }

  private Future<Void> send(PendingNotice pending) {
    return authBus.request(BusAddresses.AUTH_SYNC, pending.notice().toJson(), pending.requestId())
      .compose(reply -> reply != null && Boolean.TRUE.equals(reply.getBoolean("applied"))
        ? Future.<Void>succeededFuture()
        : Future.failedFuture(new IllegalStateException("the auth service did not acknowledge the notice")));
  }

  /**
   * Fire-and-forget broadcast of a delivered notice for any other internal service. It carries
   * no secret and no signature: a subscriber needs no key to read user events (and must not
   * act on them as commands).
   */
  private void publish(PendingNotice pending) {
    JsonObject body = pending.notice().toJson();
    vertx.eventBus().publish(BusAddresses.USER_EVENTS, body, new DeliveryOptions()
      .addHeader(BusHeaders.REQUEST_ID, RequestIds.sanitize(pending.requestId())));
  }

  long backoff(int attemptsSoFar) {
    long delay = backoffMinMs;
    for (int i = 0; i < attemptsSoFar && delay < backoffMaxMs; i++) {
      delay *= 2;
    }
    return Math.min(delay, backoffMaxMs);
  }

  private static String shorten(String message) {
    if (message == null) {
      return "unknown";
    }
    return message.length() > 500 ? message.substring(0, 500) : message;
  }
}
