package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * Sends event-bus requests with this node's API key and the request id, with a short explicit
 * timeout, and checks the key on the reply. A reply failure carrying an {@link ApiException}
 * comes back as that exception; a missing or silent receiver comes back as
 * {@code 503 unavailableCode} so that callers answer "try again", never a false "no".
 */
public final class BusClient {

  private final EventBus bus;
  private final ApiKeys keys;
  private final long timeoutMs;
  private final String unavailableCode;
  private final String peerName;

  public BusClient(EventBus bus, ApiKeys keys, long timeoutMs, String unavailableCode, String peerName) {
    this.bus = bus;
    this.keys = keys;
    this.timeoutMs = timeoutMs;
    this.unavailableCode = unavailableCode;
    this.peerName = peerName;
  }

  public Future<JsonObject> request(String address, JsonObject body, String requestId) {
    return request(address, body, requestId, timeoutMs);
  }

  public Future<JsonObject> request(String address, JsonObject body, String requestId, long timeout) {
    DeliveryOptions options = new DeliveryOptions()
      .setSendTimeout(timeout)
      .addHeader(BusHeaders.API_KEY, keys.outgoing())
      .addHeader(BusHeaders.REQUEST_ID, requestId == null ? RequestIds.sanitize(null) : requestId);
    return bus.<JsonObject>request(address, body, options)
      .recover(this::translate)
      .compose(this::checkReply);
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

  private Future<JsonObject> checkReply(Message<JsonObject> reply) {
    if (!keys.isFull(reply.headers().get(BusHeaders.API_KEY))) {
      return Future.failedFuture(ApiException.unavailable(unavailableCode,
        "The " + peerName + " answered without a valid internal key."));
    }
    return Future.succeededFuture(reply.body());
  }

  /** True when the failure means the peer could not be reached (no handler, timeout). */
  public boolean isUnavailable(Throwable failure) {
    return failure instanceof ApiException api && api.status() == 503 && unavailableCode.equals(api.code());
  }
}
