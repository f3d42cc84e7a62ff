package io.latchkey.auth;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.auth.bus.PasswordCheckConsumer;
import io.latchkey.auth.bus.SyncConsumer;
import io.latchkey.auth.bus.ValidateTokenConsumer;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.auth.http.AccessGuard;
import io.latchkey.auth.http.AccountPage;
import io.latchkey.auth.http.AccountSessionRoutes;
import io.latchkey.auth.http.AuthApi;
import io.latchkey.auth.http.DiscoveryRoutes;
import io.latchkey.auth.http.LoginRoutes;
import io.latchkey.auth.http.PasswordCacheRoutes;
import io.latchkey.auth.http.SessionRoutes;
import io.latchkey.auth.http.SyncRoutes;
import io.latchkey.auth.http.TokenRoutes;
import io.latchkey.auth.login.LoginOutcomes;
import io.latchkey.auth.login.LoginService;
import io.latchkey.auth.login.LoginThrottle;
import io.latchkey.auth.login.MfaLoginService;
import io.latchkey.auth.login.PasskeyLoginService;
import io.latchkey.auth.session.MfaChallenges;
import io.latchkey.auth.session.PasskeyChallenges;
import io.latchkey.auth.session.RefreshTokens;
import io.latchkey.auth.session.SessionRepository;
import io.latchkey.auth.session.SessionService;
import io.latchkey.auth.session.Sessions;
import io.latchkey.auth.sync.AppliedNotices;
import io.latchkey.auth.sync.SyncService;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.auth.token.Revocations;
import io.latchkey.auth.token.TokenValidator;
import io.latchkey.auth.token.VerifiedTokenMemory;
import io.latchkey.auth.users.UserDirectory;
import io.latchkey.common.AdminQueries;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.Database;
import io.latchkey.common.Deployments;
import io.latchkey.common.NodeState;
import io.latchkey.common.Resources;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.WindowCounters;
import io.latchkey.common.audit.AuditRoutes;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.retention.RetentionJob;
import io.latchkey.common.retention.RetentionRule;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The auth service's composition root, started in two steps: {@link #prepare} (blocking, no
 * Vert.x: migrates schema {@code auth}, reads the OpenAPI document), then {@link #deploy}, which
 * builds every process-wide object once (pools, keys, revocations, sessions, the password cache,
 * throttling, sync, the routes), starts what runs in the background, and deploys
 * {@code instances} {@link AuthVerticle}s sharing them. The future completes when every
 * instance listens.
 */
public final class AuthModule {

  private static final Logger LOG = LoggerFactory.getLogger(AuthModule.class);
  public static final String SCHEMA = "auth";
  /** The {@code service} label of the series both services have (bcrypt, database pool). */
  public static final String SERVICE = "auth";
  /** How long after a session ended, beyond the access-token lifetime, its row stays. */
  static final Duration SESSION_KEEP_MARGIN = Duration.ofMinutes(5);

  /** The process-wide objects that are started and stopped, besides the verticles. */
  private record Parts(Pool pool, AdminQueries admin, BcryptPool bcrypt, Revocations revocations, SessionService sessions,
                       PasswordCache cache, LoginThrottle throttle, SyncService sync, SyncConsumer syncConsumer,
                       PasswordCheckConsumer passwordChecks) {
  }

  /**
   * What the start needs that is slow and blocking but needs no Vert.x: the schema migrated,
   * the OpenAPI document read. The launcher prepares it beside the cluster join (the bcrypt pool
   * computes its dummy hash itself, on its own thread).
   */
  public record Prepared(Buffer openApi) {
  }

  private final Vertx vertx;
  private final Parts parts;
  private final List<String> deployments;
  private final int httpPort;

  private AuthModule(Vertx vertx, Parts parts, List<String> deployments, int httpPort) {
    this.vertx = vertx;
    this.parts = parts;
    this.deployments = deployments;
    this.httpPort = httpPort;
  }

  /** Blocking: migrates schema {@code auth}, reads the OpenAPI document. Never on an event loop. */
  public static Prepared prepare(AuthConfig config) {
    Database.migrateNow(config.database(), SCHEMA);
    return new Prepared(Resources.read(AuthApi.OPENAPI_RESOURCE));
  }

  /** Prepares on a worker thread, then deploys; the series go to a registry of the module's own (tests). */
  public static Future<AuthModule> deploy(Vertx vertx, HazelcastInstance hazelcast, AuthConfig config, ApiKeys keys,
                                          NodeState state, int instances) {
    return deploy(vertx, hazelcast, config, keys, state, instances, new SimpleMeterRegistry());
  }

  /** Prepares on a worker thread, then deploys, counting into {@code metrics}. */
  public static Future<AuthModule> deploy(Vertx vertx, HazelcastInstance hazelcast, AuthConfig config, ApiKeys keys,
                                          NodeState state, int instances, MeterRegistry metrics) {
    return vertx.executeBlocking(() -> prepare(config), false)
      .compose(prepared -> deploy(vertx, hazelcast, config, keys, state, instances, prepared, metrics));
  }

  /**
   * Deploys what {@link #prepare} made ready on a clustered Vert.x whose Hazelcast member is
   * {@code hazelcast}; the future completes when every instance listens. The service's series
   * ({@code latchkey_*}, docs/OPERATING.md "Metrics") are registered in {@code metrics}.
   */
  public static Future<AuthModule> deploy(Vertx vertx, HazelcastInstance hazelcast, AuthConfig config, ApiKeys keys,
                                          NodeState state, int instances, Prepared prepared, MeterRegistry metrics) {
    if (instances < 1) {
      return Future.failedFuture(new IllegalArgumentException("the auth service needs at least one HTTP instance"));
    }
    if (!vertx.isClustered() || hazelcast == null) {
      return Future.failedFuture(new IllegalStateException("the auth service needs a clustered Vert.x (Hazelcast)"));
    }
    // the cluster map is configured before anything else is built, as every node configures it alike
    return WindowCounters.start(vertx, hazelcast, PasskeyLoginService.OPTIONS_MAP, PasskeyLoginService.OPTIONS_WINDOW_SECONDS,
        "the passkey options limit (a constant)")
      .compose(passkeyOptionCounters -> assemble(vertx, hazelcast, config, keys, state, instances, prepared, metrics,
        passkeyOptionCounters));
  }

  private static Future<AuthModule> assemble(Vertx vertx, HazelcastInstance hazelcast, AuthConfig config, ApiKeys keys,
                                             NodeState state, int instances, Prepared prepared, MeterRegistry metrics,
                                             WindowCounters passkeyOptionCounters) {
    Clock clock = Clock.systemUTC();
    Pool pool = Database.pool(vertx, config.database());
    BcryptPool bcrypt = new BcryptPool(vertx, config.bcrypt().threads(), config.bcrypt().queue(), config.bcrypt().cost(), metrics,
      SERVICE);
    Database.poolMetrics(pool, config.database(), SERVICE, metrics);
    AdminQueries admin = AdminQueries.open(vertx, config.database(), config.adminQueryTimeoutMs(), SERVICE);
    UserDirectory users = new UserDirectory(vertx.eventBus(), keys, config.userServiceTimeoutMs());
    VersionFloors floors = new VersionFloors(pool);
    AuditTrail audit = new AuditTrail(pool, SCHEMA);

    // tokens and sessions
    AccessTokens accessTokens = new AccessTokens(config.jwtKeys(), config.tokens(), clock);
    Revocations revocations = new Revocations(vertx, keys, config.tokens().accessTokenTtl(), config.revocationReconcileInterval(),
      metrics);
    TokenValidator validator = new TokenValidator(accessTokens, new VerifiedTokenMemory(config.verifiedTokenMemorySize()),
      revocations, clock, metrics);
    SessionService sessions = new SessionService(new SessionRepository(pool), new RefreshTokens(config.refreshTokenSecret()),
      accessTokens, revocations, users, floors, audit, metrics);

    // logins: the cluster-wide password cache, throttling, and the user service's sync notices
    CacheCipher cipher = new CacheCipher(config.cache().key());
    PasswordCache cache = new PasswordCache(vertx, hazelcast, config.cache(), cipher, floors);
    cacheMetrics(metrics, cache, hazelcast);
    LoginThrottle throttle = new LoginThrottle(vertx, hazelcast, config.throttle(), cipher);
    MfaChallenges challenges = new MfaChallenges(pool);
    // sync and login share a rung: a reset clears the account's lockout through this seam
    SyncService sync = new SyncService(floors, new AppliedNotices(pool), cache, users, sessions,
      (userId, requestId) -> throttle.clearLockout(throttle.user(userId)), challenges);
    LoginService logins = new LoginService(cache, users, throttle, bcrypt, sessions, config.emailVerificationRequired(), audit,
      challenges, config.mfaTokenTtl());
    MfaLoginService mfaLogins = new MfaLoginService(challenges, users, throttle, sessions, audit);
    PasskeyLoginService passkeyLogins = new PasskeyLoginService(new PasskeyChallenges(pool), passkeyOptionCounters, cipher, users,
      throttle, sessions, audit, config.passkeys().rpId());

    // the API
    AccessGuard guard = new AccessGuard(keys, validator);
    TrustedProxies proxies = TrustedProxies.parse(config.trustedProxies());
    LoginRoutes loginRoutes = new LoginRoutes(logins, mfaLogins, passkeyLogins, proxies, new LoginOutcomes(metrics));
    AuthApi api = new AuthApi(state, pool,
      loginRoutes,
      new TokenRoutes(sessions, validator, guard, config.jwtKeys().jwks().encode(), proxies),
      new SessionRoutes(sessions, guard, users, proxies),
      new SyncRoutes(sync, guard),
      new PasswordCacheRoutes(cache, sync, guard),
      new DiscoveryRoutes(config.tokens().issuer(), config.publicUrl(), config.jwtKeys().verificationAlgorithms()),
      new AuditRoutes(audit, admin, guard::requireAdmin),
      prepared.openApi(),
      AccountPage.fromClassPath(config.userServicePublicUrl(), config.publicUrl(), config.passkeys().origins().get(0)),
      new AccountSessionRoutes(loginRoutes, sessions, proxies, config.publicUrl(), config.passkeys().origins().get(0)));
    ValidateTokenConsumer validateConsumer = new ValidateTokenConsumer(validator, keys);
    SyncConsumer syncConsumer = new SyncConsumer(vertx, keys, sync);
    PasswordCheckConsumer passwordChecks = new PasswordCheckConsumer(vertx, keys, throttle);
    Parts parts = new Parts(pool, admin, bcrypt, revocations, sessions, cache, throttle, sync, syncConsumer, passwordChecks);
    RetentionJob retention = new RetentionJob(pool, retentionRules(config, audit), config.retention(), metrics);

    if (!config.tokens().issuer().equals(config.publicUrl())) {
      LOG.warn("JWT_ISSUER ({}) differs from PUBLIC_URL ({}): a client that discovers the keys from the issuer URL will not find them",
        config.tokens().issuer(), config.publicUrl());
    }
    if (config.cache().keyIsDevelopment()) {
      LOG.warn("PASSWORD_CACHE_KEY is not set: the password cache uses a development key derived from the API key");
    }
    List<String> deployed = Collections.synchronizedList(new ArrayList<>());
    // with port 0 (tests) a free port is chosen first, so that every instance shares it
    int port = config.httpPort() == 0 ? freePort(config.httpHost()) : config.httpPort();
    // the revocations load (first PostgreSQL round trip) and the cluster maps' set-up are independent
    Future<AuthModule> started = Future.all(revocations.start(pool, hazelcast), cache.start().compose(v -> throttle.start()))
      .compose(v -> syncConsumer.start())
      .compose(v -> passwordChecks.start())
      .compose(v -> vertx.deployVerticle(() -> new AuthVerticle(api, validateConsumer, config.httpHost(), port),
        new DeploymentOptions().setInstances(instances)))
      .onSuccess(deployed::add)
      .compose(id -> vertx.deployVerticle(retention)).onSuccess(deployed::add)
      .map(deploymentId -> {
        LOG.info("auth service listening on {}:{} (public URL {}, {} HTTP instance(s), signing {} kid {}, {} verification key(s), bcrypt {} thread(s), key {})",
          config.httpHost(), port, config.publicUrl(), instances, config.jwtKeys().signingAlgorithm(), config.jwtKeys().signingKid(),
          config.jwtKeys().verificationKeys().size(),
          bcrypt.threads(), ApiKeys.fingerprint(keys.outgoing()));
        return new AuthModule(vertx, parts, deployed, port);
      });
    return started.recover(err -> new AuthModule(vertx, parts, deployed, -1).undeploy()
      .transform(ignored -> Future.failedFuture(err)));
  }

  /**
   * Every auth table that grows with the traffic, and when its rows go (docs/OPERATING.md, "Table
   * sizes"). A session goes once no access token of it can be alive: the access-token lifetime and
   * a margin after it ended or was revoked. Retired refresh-token hashes go first: those of a
   * session that lapsed after its refresh window are all past theirs by then, so deleting the
   * session cascades to none of them (a batch of sessions stays a batch of rows).
   */
  static List<RetentionRule> retentionRules(AuthConfig config, AuditTrail audit) {
    return List.of(
      SessionRepository.retiredTokensRetention(config.tokens().refreshTokenTtl()),
      SessionRepository.retention(config.tokens().accessTokenTtl().plus(SESSION_KEEP_MARGIN)),
      AppliedNotices.retention(config.appliedNoticesRetention()),
      MfaChallenges.retention(),
      PasskeyChallenges.retention(),
      audit.retention(config.retention().audit()));
  }

  /**
   * The password cache's series: hits and misses are this node's counters (read, not counted
   * twice); the size is the whole cluster's, a Hazelcast call, so the gauge is read only where
   * a blocking call is allowed (the management server scrapes on a worker thread).
   */
  private static void cacheMetrics(MeterRegistry metrics, PasswordCache cache, HazelcastInstance hazelcast) {
    String name = "latchkey.password.cache.requests";
    String description = "password-cache lookups of this node's logins, by result";
    FunctionCounter.builder(name, cache, c -> c.counters() == null ? 0 : c.counters().hits()).tag("result", "hit")
      .description(description).register(metrics);
    FunctionCounter.builder(name, cache, c -> c.counters() == null ? 0 : c.counters().misses()).tag("result", "miss")
      .description(description).register(metrics);
    FunctionCounter.builder("latchkey.password.cache.evictions", cache, c -> c.counters() == null ? 0 : c.counters().evictions())
      .description("cache entries this member owned that Hazelcast evicted (size bound) or expired (time to live)").register(metrics);
    Gauge.builder("latchkey.password.cache.size", hazelcast, h -> h.getMap(PasswordCache.ENTRIES_MAP).size())
      .description("entries in the password cache, the whole cluster (every auth node reports the same figure)").register(metrics);
  }

  /** Stops the HTTP verticles, the background work and the bus consumers, then closes the pools. */
  public Future<Void> undeploy() {
    Future<Void> chain = Deployments.undeployInReverse(vertx, deployments);
    return chain
      .transform(v -> parts.syncConsumer().stop())
      .transform(v -> parts.passwordChecks().stop())
      .transform(v -> parts.cache().stop())
      .transform(v -> parts.revocations().stop())
      .transform(v -> parts.admin().close())
      .transform(v -> parts.pool().close())
      .eventually(() -> {
        parts.bcrypt().close();
        return Future.succeededFuture();
      });
  }

  /** The port the HTTP server listens on (the real one when the configuration said 0). */
  public int httpPort() {
    return httpPort;
  }

  /** The sessions side, as the login and sync sides see it (the seam the revocation tests drive). */
  public Sessions sessions() {
    return parts.sessions();
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("no free port on " + host, e);
    }
  }
}
