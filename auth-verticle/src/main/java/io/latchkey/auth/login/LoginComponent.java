package io.latchkey.auth.login;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.auth.bus.SyncConsumer;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.http.LoginRoutes;
import io.latchkey.auth.http.PasswordCacheRoutes;
import io.latchkey.auth.http.RequestGuard;
import io.latchkey.auth.http.SyncRoutes;
import io.latchkey.auth.http.TrustedProxies;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.auth.sync.SyncStateRepository;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.BusClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login side of the auth service, as one unit the verticle starts and mounts: login with
 * throttling, the cluster-wide password cache, the user service's sync notices (bus and HTTP),
 * and the cache's health and admin routes.
 */
public final class LoginComponent {

  private static final Logger LOG = LoggerFactory.getLogger(LoginComponent.class);
  /** Applied-notice ids are kept this long for deduplication (the user service retries for far less). */
  private static final int NOTICE_RETENTION_DAYS = 30;
  private static final long PRUNE_INTERVAL_MS = 6 * 3600 * 1000L;

  private final Vertx vertx;
  private final LoginConfig config;
  private final PasswordCache cache;
  private final LoginThrottle throttle;
  private final SyncStateRepository syncState;
  private final SyncConsumer syncConsumer;
  private final LoginRoutes loginRoutes;
  private final SyncRoutes syncRoutes;
  private final PasswordCacheRoutes cacheRoutes;
  private long pruneTimer = -1;

  public LoginComponent(Vertx vertx, HazelcastInstance hazelcast, LoginConfig config, BcryptPool bcrypt,
                        BusClient userService, Sessions sessions, Pool pool, ApiKeys keys, RequestGuard guard) {
    this.vertx = vertx;
    this.config = config;
    CacheCipher cipher = new CacheCipher(config.cacheKey());
    UserDirectory users = new UserDirectory(userService);
    this.syncState = new SyncStateRepository(pool);
    this.cache = new PasswordCache(vertx, hazelcast, config, cipher, syncState);
    this.throttle = new LoginThrottle(vertx, hazelcast, config, cipher);
    SyncService sync = new SyncService(syncState, cache, users, sessions);
    this.syncConsumer = new SyncConsumer(vertx, keys, sync);
    this.loginRoutes = new LoginRoutes(new LoginService(cache, users, throttle, bcrypt, sessions),
      TrustedProxies.parse(config.trustedProxies()));
    this.syncRoutes = new SyncRoutes(sync, guard);
    this.cacheRoutes = new PasswordCacheRoutes(cache, sync, guard);
  }

  /** Registers the AUTH_SYNC bus consumer (same code as the HTTP sync routes) and whatever else it needs. */
  public Future<Void> start() {
    if (config.cacheKeyIsDevelopment()) {
      LOG.warn("PASSWORD_CACHE_KEY is not set: the password cache uses a development key derived from the API key");
    }
    return cache.start()
      .compose(v -> throttle.start())
      .compose(v -> syncConsumer.start())
      .onSuccess(v -> pruneTimer = vertx.setPeriodic(60_000, PRUNE_INTERVAL_MS, id -> pruneAppliedNotices()));
  }

  /**
   * POST /auth/login, POST /auth/sync/password|user-deleted|user-updated, GET /health/cache,
   * GET /admin/password-cache, DELETE /admin/password-cache/{userId}, POST /admin/password-cache/sync
   */
  public void mount(Router router) {
    loginRoutes.mount(router);
    syncRoutes.mount(router);
    cacheRoutes.mount(router);
  }

  public Future<Void> stop() {
    if (pruneTimer >= 0) {
      vertx.cancelTimer(pruneTimer);
    }
    return syncConsumer.stop().compose(v -> cache.stop());
  }

  /** The password cache, for health checks and tests. */
  public PasswordCache cache() {
    return cache;
  }

  private void pruneAppliedNotices() {
    syncState.pruneApplied(NOTICE_RETENTION_DAYS, 10_000)
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("pruned {} applied user notice(s) older than {} days", n, NOTICE_RETENTION_DAYS);
        }
      })
      .onFailure(e -> LOG.warn("pruning applied user notices failed: {}", e.toString()));
  }
}
