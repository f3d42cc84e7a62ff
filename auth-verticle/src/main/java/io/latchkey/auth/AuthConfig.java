package io.latchkey.auth;

import io.latchkey.auth.cache.CacheSettings;
import io.latchkey.auth.login.PasskeySettings;
import io.latchkey.auth.login.ThrottleSettings;
import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.auth.token.TokenSettings;
import io.latchkey.common.AdminQueries;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BcryptSettings;
import io.latchkey.common.DbConfig;
import io.latchkey.common.ManagementSettings;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.retention.RetentionSettings;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything the auth service reads from {@code conf/auth.json} and the environment (each key
 * below: conf key / environment variable, default):
 *
 * <ul>
 *   <li>httpHost / AUTH_HTTP_HOST (0.0.0.0), httpPort / AUTH_HTTP_PORT (8082)</li>
 *   <li>DATABASE_URL and friends, see {@link DbConfig}</li>
 *   <li>publicUrl / PUBLIC_URL (http://127.0.0.1:8082): the service's public base URL (behind a balancer: the
 *       balancer's); the discovery documents build every URL from it. An absolute http(s) URL without user
 *       info, query or fragment; the production profile wants https unless the host is loopback</li>
 *   <li>jwtIssuer / JWT_ISSUER (the public URL), jwtAudience / JWT_AUDIENCE (latchkey)</li>
 *   <li>accessTokenTtlSeconds / ACCESS_TOKEN_TTL_SECONDS (900), refreshTokenTtlSeconds /
 *       REFRESH_TOKEN_TTL_SECONDS (2592000 = 30 days, sliding), sessionMaxLifetimeSeconds /
 *       SESSION_MAX_LIFETIME_SECONDS (7776000 = 90 days), refreshGraceSeconds / REFRESH_GRACE_SECONDS (10; 0 = off)</li>
 *   <li>jwtAlgorithm / JWT_ALGORITHM (RS256): RS256 or EdDSA (Ed25519), the algorithm that signs access tokens;
 *       the signing key must be of its type ({@link JwsAlgorithm})</li>
 *   <li>jwtPrivateKeyFile / JWT_PRIVATE_KEY_FILE: PKCS#8 PEM signing key; else {@code jwt-private.pem} (RS256) or
 *       {@code jwt-eddsa-private.pem} (EdDSA) in jwtKeysDir / JWT_KEYS_DIR (.run/keys), generated there outside
 *       production when absent</li>
 *   <li>jwtKeyId / JWT_KEY_ID: kid of the signing key (default: its RFC 7638 thumbprint)</li>
 *   <li>jwtPublicKeyFiles / JWT_PUBLIC_KEY_FILES: comma-separated X.509 PEM files ({@code path} or
 *       {@code kid=path}) of previous signing keys that still verify live tokens (rotation), RSA or Ed25519
 *       whatever the signing algorithm</li>
 *   <li>refreshTokenSecret / REFRESH_TOKEN_SECRET: at least 32 bytes; the keys of a refresh token's tag
 *       and of its successor are derived from it (required in production; else derived from the
 *       internal API key)</li>
 *   <li>verifiedTokenMemorySize / VERIFIED_TOKEN_MEMORY_SIZE (100000): verified tokens remembered until exp</li>
 *   <li>revocationReconcileMs / REVOCATION_RECONCILE_MS (1000): how often each node re-reads new revocations from PostgreSQL</li>
 *   <li>userServiceTimeoutMs / USER_SERVICE_TIMEOUT_MS (1500): event-bus timeout towards the user service</li>
 *   <li>the retention: RETENTION_INTERVAL_SECONDS, RETENTION_BATCH_SIZE, AUDIT_RETENTION_DAYS ({@link RetentionSettings});
 *       appliedNoticesRetentionDays / APPLIED_NOTICES_RETENTION_DAYS (30): applied user notices are remembered this long
 *       (sessions and retired refresh tokens go after the token lifetimes, see docs/OPERATING.md "Table sizes")</li>
 *   <li>trustedProxies / TRUSTED_PROXIES (none): comma-separated IPs / CIDRs whose X-Forwarded-For gives the
 *       client IP ({@link TrustedProxies})</li>
 *   <li>emailVerificationRequired / EMAIL_VERIFICATION_REQUIRED (false): a login with the right password
 *       for an unverified address answers 403 email_not_verified</li>
 *   <li>adminQueryTimeoutMs / ADMIN_QUERY_TIMEOUT_MS (2000): PostgreSQL cancels the audit listing when it runs
 *       longer, answered 503 query_timeout ({@link AdminQueries})</li>
 *   <li>mfaTokenTtlSeconds / MFA_TOKEN_TTL_SECONDS (300): how long the mfaToken of a login's first step
 *       (a user with a second factor) may finish the login at POST /auth/login/mfa</li>
 *   <li>managementHost / MANAGEMENT_HOST (127.0.0.1), managementPort / MANAGEMENT_PORT (9182): where
 *       {@code GET /metrics} is served ({@link ManagementSettings})</li>
 *   <li>bcrypt: {@link BcryptSettings}; login throttling: {@link ThrottleSettings}; the password cache:
 *       {@link CacheSettings}; the WebAuthn relying party of passkey logins (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS):
 *       {@link PasskeySettings}</li>
 *   <li>userServicePublicUrl / USER_SERVICE_PUBLIC_URL (http://127.0.0.1:8081): the user service's URL as a browser
 *       reaches it; the account page ({@code /account/}) calls it, and its Content-Security-Policy allows it. Checked
 *       like PUBLIC_URL</li>
 * </ul>
 *
 * <p>The profile ({@code LATCHKEY_PROFILE}) is decided by the launcher and handed in: in
 * production, missing keys and secrets are fatal instead of derived.
 */
public record AuthConfig(String httpHost, int httpPort, DbConfig database, TokenSettings tokens, JwtKeys jwtKeys,
                         byte[] refreshTokenSecret, int verifiedTokenMemorySize, Duration revocationReconcileInterval,
                         long userServiceTimeoutMs,
                         RetentionSettings retention, Duration appliedNoticesRetention, Profile profile,
                         BcryptSettings bcrypt, ThrottleSettings throttle, CacheSettings cache, List<String> trustedProxies,
                         boolean emailVerificationRequired, String publicUrl, ManagementSettings management,
                         long adminQueryTimeoutMs, Duration mfaTokenTtl, PasskeySettings passkeys, String userServicePublicUrl) {

  private static final Logger LOG = LoggerFactory.getLogger(AuthConfig.class);

  public AuthConfig {
    trustedProxies = List.copyOf(trustedProxies);
  }

  public static AuthConfig from(Settings s, Profile profile) {
    boolean production = profile.production();
    // the session cleanup became the service's retention, of every table (docs/OPERATING.md, "Table sizes")
    s.refuseReplaced("sessionCleanupIntervalSeconds", "SESSION_CLEANUP_INTERVAL_SECONDS", "RETENTION_INTERVAL_SECONDS");
    s.refuseReplaced("sessionCleanupBatchSize", "SESSION_CLEANUP_BATCH_SIZE", "RETENTION_BATCH_SIZE");
    String publicUrl = publicUrl(s, production);
    // the issuer is the public URL unless set: a stock client configured with the issuer URL alone finds the keys
    String issuer = s.string("jwtIssuer", "JWT_ISSUER", null);
    TokenSettings tokens = new TokenSettings(
      issuer == null ? publicUrl : issuer,
      s.string("jwtAudience", "JWT_AUDIENCE", "latchkey"),
      Duration.ofSeconds(s.longValue("accessTokenTtlSeconds", "ACCESS_TOKEN_TTL_SECONDS", 900, 1, 86_400)),
      Duration.ofSeconds(s.longValue("refreshTokenTtlSeconds", "REFRESH_TOKEN_TTL_SECONDS", 2_592_000, 60, 31_536_000)),
      Duration.ofSeconds(s.longValue("sessionMaxLifetimeSeconds", "SESSION_MAX_LIFETIME_SECONDS", 7_776_000, 60, 315_360_000)),
      Duration.ofSeconds(s.longValue("refreshGraceSeconds", "REFRESH_GRACE_SECONDS", 10, 0, 300)));
    return new AuthConfig(
      s.string("httpHost", "AUTH_HTTP_HOST", "0.0.0.0"),
      s.integer("httpPort", "AUTH_HTTP_PORT", 8082, 0, 65535),
      DbConfig.from(s),
      tokens,
      jwtKeys(s, production),
      refreshSecret(s, production),
      s.integer("verifiedTokenMemorySize", "VERIFIED_TOKEN_MEMORY_SIZE", 100_000, 0, 10_000_000),
      Duration.ofMillis(s.longValue("revocationReconcileMs", "REVOCATION_RECONCILE_MS", 1000, 100, 60_000)),
      s.longValue("userServiceTimeoutMs", "USER_SERVICE_TIMEOUT_MS", 1500, 50, 60_000),
      RetentionSettings.from(s),
      Duration.ofDays(s.integer("appliedNoticesRetentionDays", "APPLIED_NOTICES_RETENTION_DAYS", 30, 1, 3650)),
      profile,
      BcryptSettings.from(s),
      ThrottleSettings.from(s),
      CacheSettings.from(s, profile),
      trustedProxies(s),
      s.bool("emailVerificationRequired", "EMAIL_VERIFICATION_REQUIRED", false),
      publicUrl,
      ManagementSettings.from(s, ManagementSettings.AUTH_DEFAULT_PORT),
      AdminQueries.timeoutSetting(s),
      Duration.ofSeconds(s.longValue("mfaTokenTtlSeconds", "MFA_TOKEN_TTL_SECONDS", 300, 1, 3600)),
      PasskeySettings.from(s),
      httpUrl(s, "userServicePublicUrl", "USER_SERVICE_PUBLIC_URL", "http://127.0.0.1:8081", production));
  }

  /**
   * PUBLIC_URL, checked: an absolute {@code http} or {@code https} URL with a host, without user
   * info, query or fragment (a path is allowed, for a balancer that mounts the service under
   * one); in production {@code https} unless the host is loopback (tokens and the documents
   * announcing their keys must not travel in clear text past this host). Kept exactly as written,
   * since the issuer derived from it is compared as a string by every client.
   */
  static String publicUrl(Settings s, boolean production) {
    return httpUrl(s, "publicUrl", "PUBLIC_URL", "http://127.0.0.1:8082", production);
  }

  /** A URL setting checked as {@link #publicUrl} explains. */
  private static String httpUrl(Settings s, String key, String env, String fallback, boolean production) {
    String raw = s.string(key, env, fallback);
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw invalidUrl(env, raw, "not a URL");
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
      throw invalidUrl(env, raw, "expected an absolute http:// or https:// URL");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      throw invalidUrl(env, raw, "expected a host, without user info");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw invalidUrl(env, raw, "a query or fragment is not allowed");
    }
    if (production && scheme.equals("http") && !isLoopback(uri.getHost())) {
      throw invalidUrl(env, raw, "the production profile requires https unless the host is loopback");
    }
    return raw;
  }

  private static IllegalArgumentException invalidUrl(String env, String raw, String why) {
    return new IllegalArgumentException("invalid setting " + env + "=" + raw + " (" + why + ")");
  }

  /** localhost, 127.0.0.0/8 or ::1 (a literal: no name is resolved). */
  private static boolean isLoopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(h);
    if (bytes == null) {
      return "localhost".equalsIgnoreCase(h);
    }
    if (bytes.length == 4) {
      return bytes[0] == 127;
    }
    for (int i = 0; i < 15; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[15] == 1;
  }

  private static List<String> trustedProxies(Settings s) {
    return TrustedProxies.setting(s);
  }

  private static JwtKeys jwtKeys(Settings s, boolean production) {
    JwsAlgorithm algorithm = JwsAlgorithm.parse(s.string("jwtAlgorithm", JwsAlgorithm.SETTING, JwsAlgorithm.RS256.wireName()));
    List<String> extra = ApiKeys.split(s.string("jwtPublicKeyFiles", "JWT_PUBLIC_KEY_FILES", ""));
    String kid = s.string("jwtKeyId", "JWT_KEY_ID", null);
    String file = s.string("jwtPrivateKeyFile", "JWT_PRIVATE_KEY_FILE", null);
    if (file != null) {
      return JwtKeys.load(algorithm, Path.of(file), kid, extra);
    }
    String dirSetting = s.string("jwtKeysDir", "JWT_KEYS_DIR", null);
    if (production && dirSetting == null) {
      throw new IllegalStateException("the production profile needs JWT keys: set JWT_PRIVATE_KEY_FILE (PKCS#8 PEM) or JWT_KEYS_DIR");
    }
    Path dir = Path.of(dirSetting == null ? ".run/keys" : dirSetting);
    Path privateKey = dir.resolve(algorithm.privateFile());
    if (!Files.exists(privateKey)) {
      if (production) {
        throw new IllegalStateException("the production profile needs JWT keys: " + privateKey + " does not exist");
      }
      LOG.warn("no JWT signing key configured: generating development keys in {}", dir);
      JwtKeys.generateDevelopmentKeys(algorithm, dir);
    }
    return JwtKeys.load(algorithm, privateKey, kid, extra);
  }

  private static byte[] refreshSecret(Settings s, boolean production) {
    String secret = s.string("refreshTokenSecret", "REFRESH_TOKEN_SECRET", null);
    if (secret == null) {
      if (production) {
        throw new IllegalStateException("the production profile needs REFRESH_TOKEN_SECRET (at least 32 random bytes)");
      }
      // local runs: every node of a local cluster derives the same secret from the shared internal key
      return ApiKeys.developmentSecret(s.env(), "latchkey refresh development secret");
    }
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < 32) {
      throw new IllegalArgumentException("invalid setting REFRESH_TOKEN_SECRET (at least 32 bytes required)");
    }
    return bytes;
  }

  @Override
  public byte[] refreshTokenSecret() {
    return refreshTokenSecret.clone();
  }

  /** A copy with other token settings (tests shorten lifetimes or the grace). */
  public AuthConfig withTokens(TokenSettings other) {
    return new AuthConfig(httpHost, httpPort, database, other, jwtKeys, refreshTokenSecret, verifiedTokenMemorySize,
      revocationReconcileInterval, userServiceTimeoutMs, retention, appliedNoticesRetention, profile, bcrypt, throttle, cache, trustedProxies,
      emailVerificationRequired, publicUrl, management, adminQueryTimeoutMs, mfaTokenTtl, passkeys, userServicePublicUrl);
  }

  /** A copy with other throttling limits (tests lower them). */
  public AuthConfig withThrottle(ThrottleSettings other) {
    return new AuthConfig(httpHost, httpPort, database, tokens, jwtKeys, refreshTokenSecret, verifiedTokenMemorySize,
      revocationReconcileInterval, userServiceTimeoutMs, retention, appliedNoticesRetention, profile, bcrypt, other, cache, trustedProxies,
      emailVerificationRequired, publicUrl, management, adminQueryTimeoutMs, mfaTokenTtl, passkeys, userServicePublicUrl);
  }

  @Override
  public String toString() {
    return "AuthConfig[http=" + httpHost + ":" + httpPort + ", database=" + database.describe() + ", tokens=" + tokens
      + ", jwtAlgorithm=" + jwtKeys.signingAlgorithm() + ", signingKid=" + jwtKeys.signingKid() + ", verificationKids=" + jwtKeys.verificationKeys().keySet()
      + ", profile=" + profile + ", bcrypt=" + bcrypt + ", throttle=" + throttle + ", cache=" + cache
      + ", trustedProxies=" + trustedProxies + ", emailVerificationRequired=" + emailVerificationRequired
      + ", publicUrl=" + publicUrl + ", management=" + management.host() + ":" + management.port()
      + ", adminQueryTimeoutMs=" + adminQueryTimeoutMs + ", mfaTokenTtl=" + mfaTokenTtl + ", passkeys=" + passkeys
      + ", userServicePublicUrl=" + userServicePublicUrl + "]";
  }
}
