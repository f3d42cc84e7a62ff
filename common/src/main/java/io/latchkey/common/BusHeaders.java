package io.latchkey.common;

/** Plain headers of event-bus messages; the signature headers are {@link BusAuth}'s. */
public final class BusHeaders {
  /** The X-Request-Id of the HTTP request that caused the message. */
  public static final String REQUEST_ID = "x-request-id";

  private BusHeaders() {
  }
}
