package io.latchkey.common;

/** Headers carried by every event-bus request and reply. */
public final class BusHeaders {
  /** The internal API key of the sender (checked by the receiver, and on replies by the requester). */
  public static final String API_KEY = "x-api-key";
  /** The X-Request-Id of the HTTP request that caused the message. */
  public static final String REQUEST_ID = "x-request-id";

  private BusHeaders() {
  }
}
