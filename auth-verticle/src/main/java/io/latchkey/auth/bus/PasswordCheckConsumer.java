package io.latchkey.auth.bus;

import io.latchkey.auth.login.LoginThrottle;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.latchkey.common.Futures;
import io.latchkey.common.Uuids;
import io.latchkey.common.bus.PasswordCheck;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link BusAddresses#AUTH_PASSWORD_CHECK} consumer: a password check the user service makes
 * (the current password of a change) counts against the account's login lockout, the same
 * counter ({@link LoginThrottle#user}) a login of that user counts against. So a stolen access
 * token cannot guess the real password through change-password at bcrypt speed, and a guesser
 * locked out of logins is locked out of this check too (and the other way round).
 */
public final class PasswordCheckConsumer {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordCheckConsumer.class);
  private static final JsonObject OK = new JsonObject().put("ok", true);

  private final Vertx vertx;
  private final ApiKeys keys;
  private final LoginThrottle throttle;
  private MessageConsumer<JsonObject> consumer;

  public PasswordCheckConsumer(Vertx vertx, ApiKeys keys, LoginThrottle throttle) {
    this.vertx = vertx;
    this.keys = keys;
    this.throttle = throttle;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(BusAddresses.AUTH_PASSWORD_CHECK, BusReplies.guardedOnce(keys, (body, requestId) ->
      Futures.attempt(() -> parse(body)).compose(check -> apply(check, requestId)).map(v -> OK.copy())));
    return consumer.completion();
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private Future<Void> apply(PasswordCheck check, String requestId) {
    LoginThrottle.Counter account = throttle.user(check.userId());
    return switch (check.step()) {
      case RESERVE -> throttle.reserve(account, requestId)
        .onFailure(err -> LOG.info("[{}] password check of user {} refused: account locked", requestId, check.userId()));
      case FAILED -> throttle.failed(account, requestId)
        .onSuccess(v -> LOG.info("[{}] wrong current password for user {} counted", requestId, check.userId()));
      case SUCCEEDED -> throttle.reset(account);
      case RELEASED -> throttle.release(account);
    };
  }

  static PasswordCheck parse(JsonObject body) {
    PasswordCheck check;
    try {
      check = PasswordCheck.fromJson(body);
    } catch (IllegalArgumentException e) {
      throw ApiException.malformed("Not a password check: " + e.getMessage());
    }
    if (!Uuids.isUuid(check.userId())) {
      throw ApiException.validation("userId", "Must be a UUID.");
    }
    return new PasswordCheck(Uuids.canonical(check.userId()), check.step());
  }
}
