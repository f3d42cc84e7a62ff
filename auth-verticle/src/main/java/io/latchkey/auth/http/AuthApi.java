package io.latchkey.auth.http;

import io.latchkey.common.HealthRoutes;
import io.latchkey.common.HttpServers;
import io.latchkey.common.NodeState;
import io.latchkey.common.audit.AuditRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;

/**
 * The auth service's HTTP API as one router: health, login, tokens, sessions, sync, the password
 * cache, JWKS, the discovery documents and the OpenAPI document ({@code openapi/auth-service.json}, which documents every
 * route here and nothing else), and the account page ({@link AccountPage}) with its session ({@link AccountSessionRoutes}). Built once per process; each verticle instance asks it for a
 * router on its own event loop.
 */
public final class AuthApi {

  public static final String OPENAPI_RESOURCE = "openapi/auth-service.json";

  private final NodeState state;
  private final Pool pool;
  private final LoginRoutes login;
  private final TokenRoutes tokens;
  private final SessionRoutes sessions;
  private final SyncRoutes sync;
  private final PasswordCacheRoutes cache;
  private final DiscoveryRoutes discovery;
  private final String openApi;
  private final AuditRoutes audit;
  private final AccountPage accountPage;
  private final AccountSessionRoutes accountSession;

  public AuthApi(NodeState state, Pool pool, LoginRoutes login, TokenRoutes tokens, SessionRoutes sessions, SyncRoutes sync,
                 PasswordCacheRoutes cache, DiscoveryRoutes discovery, AuditRoutes audit, Buffer openApi, AccountPage accountPage,
                 AccountSessionRoutes accountSession) {
    this.accountPage = accountPage;
    this.accountSession = accountSession;
    this.audit = audit;
    this.state = state;
    this.pool = pool;
    this.login = login;
    this.tokens = tokens;
    this.sessions = sessions;
    this.sync = sync;
    this.cache = cache;
    this.discovery = discovery;
    this.openApi = openApi.toString();
  }

  public Router router(Vertx vertx) {
    Router router = HttpServers.baseRouter(vertx);
    new HealthRoutes(vertx, state, pool).mount(router);
    login.mount(router);
    tokens.mount(router);
    sessions.mount(router);
    sync.mount(router);
    cache.mount(router);
    discovery.mount(router);
    audit.mount(router);
    accountPage.mount(router);
    accountSession.mount(router);
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(openApi));
    return router;
  }
}
