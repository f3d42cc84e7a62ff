package io.latchkey.common;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Event-bus messages authenticated without sending a secret. A request (and an authenticated
 * broadcast) carries a key id, a timestamp, a random nonce and an HMAC-SHA256 over the address,
 * those three, the request id and the JSON body, keyed by a key derived from the sender's full
 * internal key ({@link ApiKeys}: the key itself never travels). A reply carries a MAC over the
 * request's nonce and its own body, so a reply is good for that one request only. A receiver
 * accepts a message signed with a key derived from any of its own full keys (rotation), within
 * {@link #WINDOW} of its own clock (the cluster's clocks must agree to within that), and for
 * requests that change state ({@link #firstUse}) only once.
 *
 * <p>What this does not cover: a receiver's failure answer (Vert.x carries no headers with it),
 * so a rogue member that answers a request with a failure can deny it, never grant anything; and
 * the traffic itself, which only event-bus TLS keeps from being read on the network.
 */
public final class BusAuth {

  public static final String KEY_ID = "lk-key-id";
  public static final String TIMESTAMP = "lk-ts";
  public static final String NONCE = "lk-nonce";
  public static final String MAC = "lk-mac";
  /** How far a message's timestamp may be from the receiver's clock. */
  public static final Duration WINDOW = Duration.ofSeconds(30);
  /** Nonces remembered for {@link #firstUse}; past this, the oldest are forgotten (they are past the window long before). */
  private static final int MAX_REMEMBERED = 200_000;
  private static final byte[] REQUEST = "latchkey bus request v1\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] REPLY = "latchkey bus reply v1\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NL = {'\n'};
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final ApiKeys keys;
  private final String outgoingId;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Long> seen = new ConcurrentHashMap<>();
  private volatile long lastForget;

  public BusAuth(ApiKeys keys) {
    this(keys, Clock.systemUTC());
  }

  BusAuth(ApiKeys keys, Clock clock) {
    this.keys = keys;
    this.outgoingId = ApiKeys.busKeyId(keys.outgoingBusKey());
    this.clock = clock;
  }

  /** Why a message was refused, or null when it is authentic. Names no secret, safe for logs. */
  public record Verdict(String refusal, String nonce) {
    public boolean ok() {
      return refusal == null;
    }
  }

  /** Delivery options of a signed request or broadcast to {@code address}. */
  public DeliveryOptions signRequest(String address, JsonObject body, String requestId) {
    String rid = requestId == null ? "" : requestId;
    String ts = Long.toString(clock.millis());
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    String nonceText = B64.encodeToString(nonce);
    byte[] mac = requestMac(keys.outgoingBusKey(), address, ts, nonceText, rid, body);
    return new DeliveryOptions()
      .addHeader(BusHeaders.REQUEST_ID, rid)
      .addHeader(KEY_ID, outgoingId)
      .addHeader(TIMESTAMP, ts)
      .addHeader(NONCE, nonceText)
      .addHeader(MAC, B64.encodeToString(mac));
  }

  /** Checks a received request or broadcast. */
  public Verdict verifyRequest(Message<JsonObject> message) {
    String nonce = message.headers().get(NONCE);
    String ts = message.headers().get(TIMESTAMP);
    byte[] key = keys.busKey(message.headers().get(KEY_ID));
    String refusal = common(key, ts, nonce, message.headers().get(MAC));
    if (refusal != null) {
      return new Verdict(refusal, nonce);
    }
    String rid = message.headers().get(BusHeaders.REQUEST_ID);
    byte[] expected = requestMac(key, message.address(), ts, nonce, rid == null ? "" : rid, message.body());
    return new Verdict(matches(expected, message.headers().get(MAC)) ? null : "bad signature", nonce);
  }

  /** Delivery options of the signed reply to a request whose nonce was {@code requestNonce}. */
  public DeliveryOptions signReply(String requestNonce, JsonObject body, String requestId) {
    String rid = requestId == null ? "" : requestId;
    String ts = Long.toString(clock.millis());
    byte[] mac = replyMac(keys.outgoingBusKey(), requestNonce, ts, rid, body);
    return new DeliveryOptions()
      .addHeader(BusHeaders.REQUEST_ID, rid)
      .addHeader(KEY_ID, outgoingId)
      .addHeader(TIMESTAMP, ts)
      .addHeader(MAC, B64.encodeToString(mac));
  }

  /** Checks a reply to the request this node signed with {@code requestNonce}. */
  public Verdict verifyReply(String requestNonce, Message<JsonObject> reply) {
    String ts = reply.headers().get(TIMESTAMP);
    byte[] key = keys.busKey(reply.headers().get(KEY_ID));
    String refusal = common(key, ts, requestNonce, reply.headers().get(MAC));
    if (refusal != null) {
      return new Verdict(refusal, requestNonce);
    }
    String rid = reply.headers().get(BusHeaders.REQUEST_ID);
    byte[] expected = replyMac(key, requestNonce, ts, rid == null ? "" : rid, reply.body());
    return new Verdict(matches(expected, reply.headers().get(MAC)) ? null : "bad signature", requestNonce);
  }

  /**
   * True the first time a verified request's nonce is seen on this node within the window:
   * for requests that change state, a replayed copy is refused.
   */
  public boolean firstUse(String nonce) {
    long now = clock.millis();
    // nonces past the window can never come back valid: forget them once per window, or sooner when full
    if (now - lastForget > WINDOW.toMillis() || seen.size() >= MAX_REMEMBERED) {
      lastForget = now;
      forgetOlderThan(now - 2 * WINDOW.toMillis());
    }
    return seen.putIfAbsent(nonce, now) == null;
  }

  private void forgetOlderThan(long cutoff) {
    Iterator<Map.Entry<String, Long>> it = seen.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue() < cutoff) {
        it.remove();
      }
    }
    // still full (a flood inside one window): forget arbitrary ones rather than grow without bound
    Iterator<String> keysLeft = seen.keySet().iterator();
    while (seen.size() >= MAX_REMEMBERED && keysLeft.hasNext()) {
      keysLeft.next();
      keysLeft.remove();
    }
  }

  private String common(byte[] key, String ts, String nonce, String mac) {
    if (key == null) {
      return "unknown or missing key id";
    }
    if (ts == null || nonce == null || nonce.isEmpty() || mac == null) {
      return "unsigned";
    }
    long sent;
    try {
      sent = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      return "bad timestamp";
    }
    if (Math.abs(clock.millis() - sent) > WINDOW.toMillis()) {
      return "timestamp outside the window (clocks differ, or a replay)";
    }
    return null;
  }

  private static byte[] requestMac(byte[] key, String address, String ts, String nonce, String rid, JsonObject body) {
    return Hmac.with(key).add(REQUEST).add(utf8(address)).add(NL).add(utf8(ts)).add(NL).add(utf8(nonce)).add(NL)
      .add(utf8(rid)).add(NL).add(bodyBytes(body)).done();
  }

  private static byte[] replyMac(byte[] key, String requestNonce, String ts, String rid, JsonObject body) {
    return Hmac.with(key).add(REPLY).add(utf8(requestNonce)).add(NL).add(utf8(ts)).add(NL).add(utf8(rid)).add(NL)
      .add(bodyBytes(body)).done();
  }

  private static byte[] bodyBytes(JsonObject body) {
    return body == null ? new byte[0] : body.toBuffer().getBytes();
  }

  private static boolean matches(byte[] expected, String presented) {
    try {
      return MessageDigest.isEqual(expected, Base64.getUrlDecoder().decode(presented));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
