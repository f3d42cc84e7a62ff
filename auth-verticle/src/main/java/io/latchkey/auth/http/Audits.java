package io.latchkey.auth.http;

import io.latchkey.auth.token.AccessClaims;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.audit.AuditContext;
import io.vertx.ext.web.RoutingContext;

/** Who made a request to the auth service, for the audit events it causes. */
final class Audits {

  private Audits() {
  }

  /** A bearer caller: the token's user acts, in the token's session. */
  static AuditContext of(RoutingContext ctx, TrustedProxies proxies, AccessClaims claims) {
    return new AuditContext(claims.userId(), claims.sessionId(), proxies.clientIp(ctx), ctx.request().getHeader("User-Agent"),
      RequestIds.of(ctx));
  }

  /** A caller known only by what it presents (a refresh token): no actor until a statement finds one. */
  static AuditContext anonymous(RoutingContext ctx, TrustedProxies proxies) {
    return new AuditContext(null, null, proxies.clientIp(ctx), ctx.request().getHeader("User-Agent"), RequestIds.of(ctx));
  }
}
