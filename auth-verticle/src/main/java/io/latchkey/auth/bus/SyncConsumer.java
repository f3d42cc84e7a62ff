package io.latchkey.auth.bus;

import io.latchkey.auth.sync.SyncCommand;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.latchkey.common.Futures;
import io.latchkey.common.Uuids;
import io.latchkey.common.bus.UserNotice;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * The {@link BusAddresses#AUTH_SYNC} consumer: the user service's notices, key-checked, applied
 * by {@link SyncService} and acknowledged with {@code {"applied": true}} only once applied. A
 * failure is not acknowledged, so the user service retries.
 */
public final class SyncConsumer {

  private final Vertx vertx;
  private final ApiKeys keys;
  private final SyncService sync;
  private MessageConsumer<JsonObject> consumer;

  public SyncConsumer(Vertx vertx, ApiKeys keys, SyncService sync) {
    this.vertx = vertx;
    this.keys = keys;
    this.sync = sync;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(BusAddresses.AUTH_SYNC, BusReplies.guardedOnce(keys, (body, requestId) ->
      Futures.attempt(() -> parse(body))
        .compose(command -> sync.apply(command, requestId))
        .map(v -> new JsonObject().put("applied", true))));
    return consumer.completion();
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  static SyncCommand parse(JsonObject body) {
    UserNotice notice;
    try {
      notice = UserNotice.fromJson(body);
    } catch (RuntimeException e) {
      throw ApiException.malformed("Not a user notice: " + e.getMessage());
    }
    if (!Uuids.isUuid(notice.userId())) {
      throw ApiException.validation("userId", "Must be a UUID.");
    }
    if ((notice.type() == UserNotice.Type.PASSWORD_CHANGED || notice.type() == UserNotice.Type.PASSWORD_RESET)
      && (notice.passwordVersion() == null || notice.passwordVersion() < 1)) {
      throw ApiException.validation("passwordVersion", "A " + notice.type().wire() + " notice needs the new version.");
    }
    if (notice.keepSessionId() != null && !Uuids.isUuid(notice.keepSessionId())) {
      throw ApiException.validation("keepSessionId", "Must be a session id (UUID) or absent.");
    }
    SyncCommand command = SyncCommand.from(notice);
    return command.withIds(Uuids.canonical(command.userId()),
      command.keepSessionId() == null ? null : Uuids.canonical(command.keepSessionId()));
  }
}
