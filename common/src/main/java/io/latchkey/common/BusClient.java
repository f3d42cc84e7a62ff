package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends event-bus requests signed by {@link BusAuth} (the internal key never travels) with the
 * request id and a short explicit timeout, and accepts only replies signed for that request. A reply failure carrying an {@link ApiException}
 * comes back as that exception; a missing or silent receiver comes back as
 * {@code 503 unavailableCode} so that callers answer "try again", never a false "no".
 */
public final class BusClient {

  private static final Logger LOG = LoggerFactory.getLogger(BusClient.class);

  private final EventBus bus;
  private final BusAuth auth;
  private final long timeoutMs;
  private final String unavailableCode;
  private final String peerName;

  public BusClient(EventBus bus, ApiKeys keys, long timeoutMs, String unavailableCode, String peerName) {
    this.bus = bus;
    this.auth = new BusAuth(keys);
    this.timeoutMs = timeoutMs;
    this.unavailableCode = unavailableCode;
    this.peerName = peerName;
  }

  public Future<JsonObject> request(String address, JsonObject body, String requestId) {
    return request(address, body, requestId, timeoutMs);
  }

  public Future<JsonObject> request(String address, JsonObject body, String requestId, long timeout) {
    DeliveryOptions options = auth.signRequest(address, body, requestId == null ? RequestIds.sanitize(null) : requestId)
      .setSendTimeout(timeout);
    String nonce = options.getHeaders().get(BusAuth.NONCE);
    return bus.<JsonObject>request(address, body, options)
      .recover(this::translate)
      .compose(reply -> checkReply(nonce, reply));
  }

  private Future<Message<JsonObject>> translate(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return Future.failedFuture(BusReplies.decode(reply));
      }
      return Future.failedFuture(ApiException.unavailable(unavailableCode,
        "The " + peerName + " did not answer; try again shortly."));
    }
    return Future.failedFuture(failure);
  }

  private Future<JsonObject> checkReply(String nonce, Message<JsonObject> reply) {
    BusAuth.Verdict verdict = auth.verifyReply(nonce, reply);
    if (!verdict.ok()) {
      LOG.warn("[{}] a reply from {} was refused: {}", reply.headers().get(BusHeaders.REQUEST_ID), reply.address(), verdict.refusal());
      return Future.failedFuture(ApiException.unavailable(unavailableCode,
        "The " + peerName + " answered without a valid signature."));
    }
    return Future.succeededFuture(reply.body());
  }

  /** True when the failure means the peer could not be reached (no handler, timeout). */
  public boolean isUnavailable(Throwable failure) {
    return failure instanceof ApiException api && api.status() == 503 && unavailableCode.equals(api.code());
  }
}
