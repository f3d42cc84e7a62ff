package io.latchkey.common.audit;

/**
 * Who made a request and from where, for the events the request causes: the actor
 * ({@code userId}, {@code key:<fingerprint>}, or null), the bearer token's session (null
 * otherwise), the client IP, the user agent and the request id.
 */
public record AuditContext(String actor, String sessionId, String ip, String userAgent, String requestId) {

  /** A caller known by nothing but its request (tests, internal work). */
  public static AuditContext of(String requestId) {
    return new AuditContext(null, null, null, null, requestId);
  }

  /** An event of {@code type} about {@code userId}, in the caller's session. */
  public AuditEvent event(AuditType type, String userId) {
    return AuditEvent.now(type, userId, sessionId, actor, ip, userAgent, requestId, null);
  }

  /** An event of {@code type} about {@code userId} and {@code session}, with a reason. */
  public AuditEvent event(AuditType type, String userId, String session, String reason) {
    return AuditEvent.now(type, userId, session, actor, ip, userAgent, requestId, reason);
  }
}
