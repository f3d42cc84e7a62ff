package io.latchkey.user;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.common.AdminQueries;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.BusClient;
import io.latchkey.common.Database;
import io.latchkey.common.Deployments;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.NodeState;
import io.latchkey.common.Resources;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.audit.AuditRoutes;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.hash.HashLimits;
import io.latchkey.common.retention.RetentionJob;
import io.latchkey.common.retention.RetentionRule;
import io.latchkey.user.auth.Authorizer;
import io.latchkey.user.auth.BusTokenVerifier;
import io.latchkey.user.bus.UserBusVerticle;
import io.latchkey.user.http.UserApi;
import io.latchkey.user.http.UserHttpVerticle;
import io.latchkey.user.mail.MailQueue;
import io.latchkey.user.mail.MailRelay;
import io.latchkey.user.mail.MailRelayVerticle;
import io.latchkey.user.mail.MailSettings;
import io.latchkey.user.mail.MailTemplates;
import io.latchkey.user.mail.Mailer;
import io.latchkey.user.mail.TokenSeal;
import io.latchkey.user.outbox.OutboxBacklogVerticle;
import io.latchkey.user.outbox.OutboxRelay;
import io.latchkey.user.outbox.OutboxRelayVerticle;
import io.latchkey.user.repo.EmailKeyFill;
import io.latchkey.user.repo.MailOutboxRepository;
import io.latchkey.user.repo.MailTokenRepository;
import io.latchkey.user.repo.MfaRepository;
import io.latchkey.user.repo.OutboxRepository;
import io.latchkey.user.repo.PasskeyRepository;
import io.latchkey.user.repo.UserRepository;
import io.latchkey.user.service.AccountService;
import io.latchkey.user.service.CommonPasswords;
import io.latchkey.user.service.CurrentPassword;
import io.latchkey.user.service.MfaSecrets;
import io.latchkey.user.service.MfaService;
import io.latchkey.user.service.PasskeyService;
import io.latchkey.user.service.PasswordChecks;
import io.latchkey.user.service.PasswordPolicy;
import io.latchkey.user.service.RegistrationLimit;
import io.latchkey.user.service.RequestLimit;
import io.latchkey.user.service.Totp;
import io.latchkey.user.service.UserImport;
import io.latchkey.user.service.UserService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The user service as one deployable unit, started in two steps: {@link #prepare} (blocking,
 * no Vert.x: migrates schema {@code users}, reads the resources), then {@link #deploy} (opens the pool and the bcrypt pool, registers the event-bus
 * endpoints, starts the outbox relay and {@code instances} HTTP verticles). The future
 * completes when everything listens.
 */
public final class UserModule {

  private static final Logger LOG = LoggerFactory.getLogger(UserModule.class);
  public static final String SCHEMA = "users";
  /** The {@code service} label of the series both services have (bcrypt, database pool). */
  public static final String SERVICE = "user";
  public static final String OPENAPI_RESOURCE = "openapi/user-service.json";

  private final Vertx vertx;
  private final Pool pool;
  private final AdminQueries admin;
  private final BcryptPool bcrypt;
  private final List<String> deployments;
  private final int httpPort;

  private UserModule(Vertx vertx, Pool pool, AdminQueries admin, BcryptPool bcrypt, List<String> deployments, int httpPort) {
    this.vertx = vertx;
    this.pool = pool;
    this.admin = admin;
    this.bcrypt = bcrypt;
    this.deployments = deployments;
    this.httpPort = httpPort;
  }

  /**
   * What the start needs that is slow and blocking but needs no Vert.x: the schema migrated,
   * the common-password list and the OpenAPI document read. The launcher prepares it beside the
   * cluster join (the bcrypt pool computes its dummy hash itself, on its own thread).
   */
  public record Prepared(CommonPasswords common, Buffer openApi, MailTemplates mailTemplates) {
  }

  /** Blocking: migrates schema {@code users}, reads the resources. Never on an event loop. */
  public static Prepared prepare(UserConfig config) {
    Database.migrateNow(config.database(), SCHEMA);
    // rows older than V4 get the email key only Java can compute, before anyone looks one up
    EmailKeyFill.fill(config.database());
    return new Prepared(CommonPasswords.load(), Resources.read(OPENAPI_RESOURCE), MailTemplates.load(config.mail().templatesDir()));
  }

  /** Prepares on a worker thread, then deploys; the series go to a registry of the module's own (tests). */
  public static Future<UserModule> deploy(Vertx vertx, HazelcastInstance hazelcast, UserConfig config, ApiKeys keys,
                                          NodeState state, int instances) {
    return deploy(vertx, hazelcast, config, keys, state, instances, new SimpleMeterRegistry());
  }

  /** Prepares on a worker thread, then deploys, registering the service's series in {@code metrics}. */
  public static Future<UserModule> deploy(Vertx vertx, HazelcastInstance hazelcast, UserConfig config, ApiKeys keys,
                                          NodeState state, int instances, MeterRegistry metrics) {
    return vertx.executeBlocking(() -> prepare(config), false)
      .compose(prepared -> deploy(vertx, hazelcast, config, keys, state, instances, prepared, metrics));
  }

  /**
   * Deploys what {@link #prepare} made ready; opens the pools, registers the bus endpoints,
   * listens. {@code hazelcast}: the cluster member the launcher joined with (the registration
   * counters live in its maps); null on a Vert.x that is not clustered (tests). The service's
   * series ({@code latchkey_*}, docs/OPERATING.md "Metrics") are registered in {@code metrics}.
   */
  public static Future<UserModule> deploy(Vertx vertx, HazelcastInstance hazelcast, UserConfig config, ApiKeys keys,
                                          NodeState state, int instances, Prepared prepared, MeterRegistry metrics) {
    if (instances < 1) {
      return Future.failedFuture(new IllegalArgumentException("the user service needs at least one HTTP instance"));
    }
    BcryptPool bcrypt = new BcryptPool(vertx, config.bcrypt().threads(), config.bcrypt().queue(), config.bcrypt().cost(), metrics,
      SERVICE);
    Pool pool = Database.pool(vertx, config.database());
    Database.poolMetrics(pool, config.database(), SERVICE, metrics);
    AdminQueries admin = AdminQueries.open(vertx, config.database(), config.adminQueryTimeoutMs(), SERVICE);
    BusClient authBus = new BusClient(vertx.eventBus(), keys, config.busTimeoutMs(), ErrorCodes.AUTH_SERVICE_UNAVAILABLE,
      "auth service");
    OutboxRepository outbox = new OutboxRepository();
    OutboxRelay relay = new OutboxRelay(vertx, pool, outbox, authBus, config.noticeWaitMs(),
      config.busTimeoutMs(), config.relayBackoffMinMs(), config.relayBackoffMaxMs(), config.relayBatchUsers());
    UserRepository userRepository = new UserRepository();
    MailSettings mail = config.mail();
    MailTokenRepository mailTokens = new MailTokenRepository();
    MailOutboxRepository mailOutbox = new MailOutboxRepository();
    TokenSeal seal = new TokenSeal(keys.derivedSecrets("mail outbox token"));
    MailQueue mailQueue = new MailQueue(mailTokens, mailOutbox, seal, mail);
    Mailer mailer = Mailer.create(vertx, mail);
    MailRelay mailRelay = new MailRelay(vertx, pool, mailOutbox, userRepository, mailQueue, seal,
      prepared.mailTemplates(), mailer, mail);
    PasswordPolicy policy = new PasswordPolicy(prepared.common());
    AuditTrail audit = new AuditTrail(pool, SCHEMA);
    RetentionJob retention = new RetentionJob(pool, retentionRules(config, audit), config.retention(), metrics);
    CurrentPassword currentPassword = new CurrentPassword(new PasswordChecks(authBus), bcrypt);
    UserService service = new UserService(pool, userRepository, outbox, relay, bcrypt, policy, currentPassword,
      mailQueue, mailRelay, audit, admin);
    MfaService mfa = new MfaService(pool, userRepository, new MfaRepository(), outbox, relay, currentPassword,
      new MfaSecrets(config.mfa().keys()), new Totp(Clock.systemUTC()), config.mfa().issuer(), audit);
    PasskeyService passkeys = new PasskeyService(vertx, pool, userRepository, new PasskeyRepository(), config.webauthn(), audit);
    byte[] limitKey = limitKey(keys);
    int hour = MailSettings.LIMIT_WINDOW_SECONDS;
    AccountService accounts = new AccountService(pool, userRepository, mailTokens, outbox, relay, mailQueue, mailRelay, bcrypt, policy,
      new RequestLimit(vertx, hazelcast, "latchkey.user.verify-sends", mail.verifySendMax(), hour, limitKey, "EMAIL_VERIFY_SEND_MAX"),
      new RequestLimit(vertx, hazelcast, "latchkey.user.resets-per-address", mail.resetAddressMax(), hour, limitKey,
        "PASSWORD_RESET_ADDRESS_MAX"),
      new RequestLimit(vertx, hazelcast, "latchkey.user.resets-per-ip", mail.resetIpMax(), hour, limitKey, "PASSWORD_RESET_IP_MAX"),
      audit);
    Authorizer authorizer = new Authorizer(keys, new BusTokenVerifier(authBus));
    UserImport imports = new UserImport(pool, userRepository, bcrypt, audit, HashLimits.defaults());
    RegistrationLimit registrations = new RegistrationLimit(new RequestLimit(vertx, hazelcast, RegistrationLimit.MAP,
      config.registrationIpMax(), config.registrationIpWindowSeconds(), limitKey, "REGISTRATION_IP_WINDOW_SECONDS"));
    TrustedProxies proxies = TrustedProxies.parse(config.trustedProxies());
    Function<Vertx, Router> routers = v -> new UserApi(service, accounts, mfa, passkeys, authorizer, new HealthRoutes(v, state, pool),
      prepared.openApi(), registrations, proxies, new AuditRoutes(audit, admin, authorizer::requireAdmin), config.cors(), imports).router(v);

    List<String> deployed = Collections.synchronizedList(new ArrayList<>());
    // port 0 (tests): -1 makes every instance share one random port (Vert.x server sharing by negative port)
    int listenPort = config.httpPort() == 0 ? -1 : config.httpPort();
    AtomicInteger actualPort = new AtomicInteger(-1);
    Future<UserModule> started = registrations.start()
      .compose(v -> accounts.start())
      .compose(v -> vertx.deployVerticle(new UserBusVerticle(service, mfa, passkeys, keys))).onSuccess(deployed::add)
      .compose(id -> vertx.deployVerticle(new OutboxRelayVerticle(relay, config.relaySweepMs()))).onSuccess(deployed::add)
      .compose(id -> vertx.deployVerticle(new MailRelayVerticle(mailRelay, mailer, mail.sweepMs()))).onSuccess(deployed::add)
      .compose(id -> vertx.deployVerticle(new OutboxBacklogVerticle(pool, outbox, mailOutbox, config.outboxMetricsMs(), metrics)))
      .onSuccess(deployed::add)
      .compose(id -> vertx.deployVerticle(retention)).onSuccess(deployed::add)
      .compose(id -> vertx.deployVerticle(() -> new UserHttpVerticle(routers, config.httpHost(), listenPort, actualPort::set),
        new DeploymentOptions().setInstances(instances))).onSuccess(deployed::add)
      .map(id -> actualPort.get())
      .map(port -> {
        LOG.info("user service listening on {}:{} ({} HTTP instance(s), bcrypt cost {} on {} thread(s), common passwords: {}, keys: {},"
          + " mail: {})", config.httpHost(), port, instances, config.bcrypt().cost(), bcrypt.threads(), prepared.common().size(),
          ApiKeys.fingerprint(keys.outgoing()), mail);
        if (config.mfa().keyIsDevelopment()) {
          LOG.warn("MFA_SECRET_KEY is not set: second-factor secrets are sealed under a development key derived from the API key");
        }
        return new UserModule(vertx, pool, admin, bcrypt, deployed, port);
      });
    return started.recover(err -> new UserModule(vertx, pool, admin, bcrypt, deployed, -1).undeploy()
      .transform(ignored -> Future.failedFuture(err)));
  }

  /** Every user table that grows with the traffic, and when its rows go (docs/OPERATING.md, "Table sizes"). */
  static List<RetentionRule> retentionRules(UserConfig config, AuditTrail audit) {
    return List.of(
      new OutboxRepository().retention(config.outboxRetention()),
      new MailOutboxRepository().retention(config.outboxRetention()),
      new MailTokenRepository().retention(config.mailTokenRetention()),
      new PasskeyRepository().challengeRetention(),
      audit.retention(config.retention().audit()));
  }

  /**
   * The key the request counters' IPs and addresses are blinded with: derived from the internal
   * key this node sends (the same on every user node of a deployment), never a key the auth
   * service's password cache uses.
   */
  private static byte[] limitKey(ApiKeys keys) {
    try {
      return MessageDigest.getInstance("SHA-256")
        .digest(("latchkey registration counter|" + keys.outgoing()).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops the HTTP verticles, the relays, the retention and the bus endpoints, then closes the pools. */
  public Future<Void> undeploy() {
    Future<Void> chain = Deployments.undeployInReverse(vertx, deployments);
    return chain.compose(v -> admin.close().eventually(pool::close)).eventually(() -> {
      bcrypt.close();
      return Future.succeededFuture();
    });
  }

  /** The port the HTTP server listens on (the real one when the configuration said 0). */
  public int httpPort() {
    return httpPort;
  }
}
