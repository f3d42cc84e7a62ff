package io.latchkey.auth.bus;

import io.latchkey.auth.token.TokenValidator;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * {@code BusAddresses.AUTH_VALIDATE}: the user service's bearer checks. Key-checked like every
 * consumer; runs the same validation as {@code POST /auth/validate-token} and answers its body.
 */
public final class ValidateTokenConsumer {

  private final TokenValidator validator;
  private final ApiKeys keys;

  public ValidateTokenConsumer(TokenValidator validator, ApiKeys keys) {
    this.validator = validator;
    this.keys = keys;
  }

  public MessageConsumer<JsonObject> register(Vertx vertx) {
    return vertx.eventBus().consumer(BusAddresses.AUTH_VALIDATE, BusReplies.guarded(keys, (body, requestId) -> {
      Object token = body.getValue("token");
      if (!(token instanceof String text)) {
        return Future.failedFuture(ApiException.malformed("The field 'token' must be a string."));
      }
      return Future.succeededFuture(validator.validate(text).toValidateJson());
    }));
  }
}
