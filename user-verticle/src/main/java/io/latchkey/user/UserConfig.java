package io.latchkey.user;

import io.latchkey.common.AdminQueries;
import io.latchkey.common.BcryptSettings;
import io.latchkey.common.DbConfig;
import io.latchkey.common.ManagementSettings;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.retention.RetentionSettings;
import io.latchkey.user.http.CorsPolicy;
import io.latchkey.user.mail.MailSettings;
import io.latchkey.user.service.MfaSettings;
import io.latchkey.user.service.WebAuthnSettings;

import java.time.Duration;
import java.util.List;

/**
 * Everything the user service reads from {@code conf/user.json} and the environment (the
 * environment wins). Invalid values fail at start with a message naming the setting.
 *
 * @param httpHost          USER_HTTP_HOST / httpHost: the address the HTTP server binds
 * @param httpPort          USER_HTTP_PORT / httpPort: the HTTP port (0 = any free port, for tests)
 * @param database          DATABASE_URL and friends, see {@link DbConfig#from}
 * @param bcrypt            BCRYPT_COST, BCRYPT_THREADS, BCRYPT_QUEUE: see {@link BcryptSettings}
 * @param noticeWaitMs      NOTICE_WAIT_MS / noticeWaitMs: how long a change waits for the auth service's acknowledgement
 * @param busTimeoutMs      BUS_TIMEOUT_MS / busTimeoutMs: timeout of one event-bus request to the auth service
 * @param relaySweepMs      RELAY_SWEEP_MS / relaySweepMs: how often the outbox relay looks for undelivered notices
 * @param relayBackoffMinMs RELAY_BACKOFF_MIN_MS / relayBackoffMinMs: first retry delay after a failed delivery
 * @param relayBackoffMaxMs RELAY_BACKOFF_MAX_MS / relayBackoffMaxMs: longest retry delay (the delay doubles per failure)
 * @param relayBatchUsers   RELAY_BATCH_USERS / relayBatchUsers: users whose backlog one sweep handles at most
 * @param registrationIpMax REGISTRATION_IP_MAX / registrationIpMax: registrations (POST /users) one client IP (an IPv6 /64) may make per window
 * @param registrationIpWindowSeconds REGISTRATION_IP_WINDOW_SECONDS / registrationIpWindowSeconds: that window
 * @param trustedProxies    TRUSTED_PROXIES / trustedProxies: comma-separated IPs / CIDRs whose X-Forwarded-For gives the client IP
 * @param mail              SMTP_*, MAIL_* and the lifecycle's token lifetimes and limits: see {@link MailSettings}
 * @param retention         RETENTION_INTERVAL_SECONDS, RETENTION_BATCH_SIZE, AUDIT_RETENTION_DAYS: see {@link RetentionSettings}
 * @param outboxRetention   OUTBOX_RETENTION_DAYS / outboxRetentionDays (7): delivered notices and sent mails are deleted this long after
 * @param mailTokenRetention MAIL_TOKEN_RETENTION_DAYS / mailTokenRetentionDays (1): mailed tokens are deleted this long after they expired
 * @param management        MANAGEMENT_HOST, MANAGEMENT_PORT (9181): where GET /metrics is served, see {@link ManagementSettings}
 * @param outboxMetricsMs   OUTBOX_METRICS_MS / outboxMetricsMs: how often the outboxes' backlog and oldest age are measured for /metrics
 * @param adminQueryTimeoutMs ADMIN_QUERY_TIMEOUT_MS / adminQueryTimeoutMs: PostgreSQL cancels an admin query (search, audit listing)
 *                          running longer, answered 503 query_timeout ({@link AdminQueries})
 * @param mfa               MFA_SECRET_KEY (environment only; required in production), MFA_ISSUER: see {@link MfaSettings}
 * @param webauthn          WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS (passkeys; the auth service reads the same): see
 *                          {@link WebAuthnSettings}
 * @param cors              CORS_ALLOWED_ORIGINS (development: the account page's {@code http://localhost:8082}; production:
 *                          none): the pages that may call this service from another origin, see {@link CorsPolicy}
 */
public record UserConfig(String httpHost, int httpPort, DbConfig database, BcryptSettings bcrypt, long noticeWaitMs, long busTimeoutMs, long relaySweepMs,
                         long relayBackoffMinMs, long relayBackoffMaxMs, int relayBatchUsers, int registrationIpMax,
                         int registrationIpWindowSeconds, List<String> trustedProxies, MailSettings mail,
                         RetentionSettings retention, Duration outboxRetention, Duration mailTokenRetention,
                         ManagementSettings management, long outboxMetricsMs, long adminQueryTimeoutMs, MfaSettings mfa,
                         WebAuthnSettings webauthn, CorsPolicy cors) {

  public UserConfig {
    trustedProxies = List.copyOf(trustedProxies);
  }

  /** The development profile's configuration (tests, tools): secrets that are not given are derived. */
  public static UserConfig from(Settings s) {
    return from(s, Profile.DEVELOPMENT);
  }

  /** {@code profile}: the production profile refuses to start without the secrets it needs (MFA_SECRET_KEY). */
  public static UserConfig from(Settings s, Profile profile) {
    // one retention for both outboxes now (docs/OPERATING.md, "Table sizes")
    s.refuseReplaced("mailRetentionDays", "MAIL_RETENTION_DAYS", "OUTBOX_RETENTION_DAYS (sent mails and delivered notices) and"
      + " MAIL_TOKEN_RETENTION_DAYS (mailed tokens, after their expiry)");
    UserConfig config = new UserConfig(
      s.string("httpHost", "USER_HTTP_HOST", "0.0.0.0"),
      s.integer("httpPort", "USER_HTTP_PORT", 8081, 0, 65535),
      DbConfig.from(s),
      BcryptSettings.from(s),
      s.longValue("noticeWaitMs", "NOTICE_WAIT_MS", 2000, 0, 60_000),
      s.longValue("busTimeoutMs", "BUS_TIMEOUT_MS", 2000, 100, 60_000),
      s.longValue("relaySweepMs", "RELAY_SWEEP_MS", 1000, 50, 600_000),
      s.longValue("relayBackoffMinMs", "RELAY_BACKOFF_MIN_MS", 200, 10, 600_000),
      s.longValue("relayBackoffMaxMs", "RELAY_BACKOFF_MAX_MS", 30_000, 10, 3_600_000),
      s.integer("relayBatchUsers", "RELAY_BATCH_USERS", 100, 1, 10_000),
      s.integer("registrationIpMax", "REGISTRATION_IP_MAX", 20, 1, 10_000_000),
      s.integer("registrationIpWindowSeconds", "REGISTRATION_IP_WINDOW_SECONDS", 3600, 1, 86_400),
      trustedProxies(s),
      MailSettings.from(s),
      RetentionSettings.from(s),
      Duration.ofDays(s.integer("outboxRetentionDays", "OUTBOX_RETENTION_DAYS", 7, 1, 3650)),
      Duration.ofDays(s.integer("mailTokenRetentionDays", "MAIL_TOKEN_RETENTION_DAYS", 1, 1, 3650)),
      ManagementSettings.from(s, ManagementSettings.USER_DEFAULT_PORT),
      s.longValue("outboxMetricsMs", "OUTBOX_METRICS_MS", 15_000, 1000, 3_600_000),
      AdminQueries.timeoutSetting(s),
      MfaSettings.from(s, profile),
      WebAuthnSettings.from(s),
      CorsPolicy.from(s, profile));
    if (config.relayBackoffMaxMs < config.relayBackoffMinMs) {
      throw new IllegalArgumentException("invalid setting RELAY_BACKOFF_MAX_MS=" + config.relayBackoffMaxMs
        + " (must be at least RELAY_BACKOFF_MIN_MS=" + config.relayBackoffMinMs + ")");
    }
    return config;
  }

  private static List<String> trustedProxies(Settings s) {
    return TrustedProxies.setting(s);
  }

  /** The same configuration on another database and port (tests). */
  public UserConfig with(DbConfig otherDatabase, int otherPort) {
    return new UserConfig(httpHost, otherPort, otherDatabase, bcrypt, noticeWaitMs,
      busTimeoutMs, relaySweepMs, relayBackoffMinMs, relayBackoffMaxMs, relayBatchUsers, registrationIpMax,
      registrationIpWindowSeconds, trustedProxies, mail, retention, outboxRetention, mailTokenRetention, management, outboxMetricsMs,
      adminQueryTimeoutMs, mfa, webauthn, cors);
  }

  /** The same configuration sending mail through another server (tests). */
  public UserConfig withMail(MailSettings otherMail) {
    return new UserConfig(httpHost, httpPort, database, bcrypt, noticeWaitMs,
      busTimeoutMs, relaySweepMs, relayBackoffMinMs, relayBackoffMaxMs, relayBatchUsers, registrationIpMax,
      registrationIpWindowSeconds, trustedProxies, otherMail, retention, outboxRetention, mailTokenRetention, management,
      outboxMetricsMs, adminQueryTimeoutMs, mfa, webauthn, cors);
  }
}
