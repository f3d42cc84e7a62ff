package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BiFunction;

/**
 * The receiving side of the bus contract: every consumer accepts only requests signed by
 * {@link BusAuth} with a key derived from one of this node's full keys, signs its reply for that
 * request, and fails with the {@link ApiException} the handler raised (failure code = HTTP
 * status, message = the exception as JSON).
 */
public final class BusReplies {

  private static final Logger LOG = LoggerFactory.getLogger(BusReplies.class);

  private BusReplies() {
  }

  /** Wraps a handler that takes the request body and its request id and returns the reply body. */
  public static Handler<Message<JsonObject>> guarded(ApiKeys keys, BiFunction<JsonObject, String, Future<JsonObject>> handler) {
    return guarded(new BusAuth(keys), false, handler);
  }

  /** The same for a request that changes state: a replayed copy of a request (same nonce) is refused. */
  public static Handler<Message<JsonObject>> guardedOnce(ApiKeys keys, BiFunction<JsonObject, String, Future<JsonObject>> handler) {
    return guarded(new BusAuth(keys), true, handler);
  }

  private static Handler<Message<JsonObject>> guarded(BusAuth auth, boolean once,
                                                      BiFunction<JsonObject, String, Future<JsonObject>> handler) {
    return message -> {
      String requestId = RequestIds.sanitize(message.headers().get(BusHeaders.REQUEST_ID));
      BusAuth.Verdict verdict = auth.verifyRequest(message);
      if (!verdict.ok()) {
        LOG.warn("[{}] bus message to {} refused: {}", requestId, message.address(), verdict.refusal());
        fail(message, ApiException.invalidApiKey());
        return;
      }
      if (once && !auth.firstUse(verdict.nonce())) {
        LOG.warn("[{}] bus message to {} refused: a replayed copy", requestId, message.address());
        fail(message, ApiException.invalidApiKey());
        return;
      }
      if (message.body() == null) {
        fail(message, ApiException.malformed("The message body must be a JSON object."));
        return;
      }
      Future<JsonObject> result;
      try {
        result = handler.apply(message.body(), requestId);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(ar -> {
        if (ar.succeeded()) {
          message.reply(ar.result(), auth.signReply(verdict.nonce(), ar.result(), requestId));
        } else {
          Throwable cause = ar.cause();
          if (cause instanceof ApiException api) {
            fail(message, api);
          } else if (DbErrors.isUnavailable(cause)) {
            fail(message, ApiException.databaseUnavailable());
          } else {
            LOG.error("[{}] bus handler for {} failed", requestId, message.address(), cause);
            fail(message, new ApiException(500, ErrorCodes.INTERNAL_ERROR, "The receiver failed unexpectedly."));
          }
        }
      });
    };
  }

  public static void fail(Message<?> message, ApiException e) {
    message.fail(e.status(), e.toJson().encode());
  }

  /** Rebuilds the ApiException a receiver failed with. */
  public static ApiException decode(ReplyException reply) {
    String text = reply.getMessage();
    try {
      if (text != null && text.startsWith("{")) {
        return ApiException.fromJson(new JsonObject(text));
      }
    } catch (DecodeException ignored) {
      // fall through
    }
    return new ApiException(reply.failureCode() > 0 ? reply.failureCode() : 500, ErrorCodes.INTERNAL_ERROR,
      "The receiver failed unexpectedly.");
  }
}
