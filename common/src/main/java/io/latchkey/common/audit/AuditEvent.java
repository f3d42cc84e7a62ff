package io.latchkey.common.audit;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One audit event, as stored and as listed. {@code id} and {@code time} are chosen when the event
 * is made (time in microseconds, PostgreSQL's precision), so that the JSON line written after the
 * commit is exactly the stored row. Fields that do not apply are null; nothing secret is ever put
 * in one (no password, hash, token or key: an API key appears only as {@code key:<fingerprint>}).
 *
 * @param userId    the user the event is about (null: unknown, such as a login with an unknown name)
 * @param sessionId the session the event is about; for a change made through a bearer token, that
 *                  token's session
 * @param actor     who acted: a user id, {@code key:<fingerprint>} for an API-key caller, null for an
 *                  anonymous caller (a login attempt, a mailed token)
 */
public record AuditEvent(UUID id, Instant time, AuditType type, String userId, String sessionId, String actor, String ip,
                         String userAgent, String requestId, String outcome, String reason) {

  /** The longest user agent kept; longer ones are cut (they are free text a client chooses). */
  public static final int MAX_USER_AGENT = 256;
  static final int MAX_IP = 64;
  static final int MAX_REQUEST_ID = 128;

  public AuditEvent {
    userAgent = cut(userAgent, MAX_USER_AGENT);
    ip = cut(ip, MAX_IP);
    requestId = cut(requestId, MAX_REQUEST_ID);
  }

  /** A new event of {@code type} now, with the type's default outcome. */
  public static AuditEvent now(AuditType type, String userId, String sessionId, String actor, String ip, String userAgent,
                               String requestId, String reason) {
    return new AuditEvent(UUID.randomUUID(), Instant.now().truncatedTo(ChronoUnit.MICROS), type, userId, sessionId, actor, ip,
      userAgent, requestId, type.outcome(), reason);
  }

  /** The same event about {@code userId} and {@code sessionId} (what a statement found). */
  public AuditEvent about(String otherUserId, String otherSessionId) {
    return new AuditEvent(id, time, type, otherUserId, otherSessionId, actor, ip, userAgent, requestId, outcome, reason);
  }

  /** The same event with another actor. */
  public AuditEvent by(String otherActor) {
    return new AuditEvent(id, time, type, userId, sessionId, otherActor, ip, userAgent, requestId, outcome, reason);
  }

  /** The contract's JSON form: {@code {"id", "time", "type", "userId", "sessionId", "actor", "ip", "userAgent", "requestId", "outcome", "reason"}}. */
  public JsonObject toJson() {
    return new JsonObject()
      .put("id", id.toString())
      .put("time", time.toString())
      .put("type", type.wire())
      .put("userId", userId)
      .put("sessionId", sessionId)
      .put("actor", actor)
      .put("ip", ip)
      .put("userAgent", userAgent)
      .put("requestId", requestId)
      .put("outcome", outcome)
      .put("reason", reason);
  }

  /**
   * The values of the columns a statement cannot find itself, in the order
   * {@link AuditTrail#insertSelect} numbers them: id, time, type, actor, ip, user_agent,
   * request_id, outcome, reason.
   */
  public List<Object> draftValues() {
    List<Object> values = new ArrayList<>(9);
    values.add(id);
    values.add(time.atOffset(ZoneOffset.UTC));
    values.add(type.wire());
    values.add(actor);
    values.add(ip);
    values.add(userAgent);
    values.add(requestId);
    values.add(outcome);
    values.add(reason);
    return values;
  }

  static AuditEvent fromRow(Row row) {
    UUID user = row.getUUID("user_id");
    return new AuditEvent(row.getUUID("id"), row.getOffsetDateTime("time").toInstant(),
      AuditType.fromWire(row.getString("type")).orElseThrow(() -> new IllegalStateException("unknown audit type in the table")),
      user == null ? null : user.toString(), row.getString("session_id"), row.getString("actor"), row.getString("ip"),
      row.getString("user_agent"), row.getString("request_id"), row.getString("outcome"), row.getString("reason"));
  }

  private static String cut(String text, int max) {
    if (text == null || text.length() <= max) {
      return text;
    }
    // never split a surrogate pair: a lone surrogate is not valid text
    int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    return text.substring(0, end);
  }
}
