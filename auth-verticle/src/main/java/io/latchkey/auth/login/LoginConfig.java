package io.latchkey.auth.login;

import io.latchkey.auth.http.TrustedProxies;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.Settings;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * Settings of the login side of the auth service: throttling, the password cache, trusted
 * proxies and the bcrypt pool. Every value has a conf key (in {@code conf/auth.json}) and an
 * environment override.
 *
 * @param accountMaxFailures     LOGIN_ACCOUNT_MAX_FAILURES (10): failed logins of one account in a window before it locks
 * @param ipMaxFailures          LOGIN_IP_MAX_FAILURES (100): failed logins from one client IP in a window before it locks
 * @param failureWindowSeconds   LOGIN_FAILURE_WINDOW_SECONDS (900): the counting window
 * @param lockoutBaseSeconds     LOGIN_LOCKOUT_BASE_SECONDS (60): the first lockout; each further one doubles
 * @param lockoutMaxSeconds      LOGIN_LOCKOUT_MAX_SECONDS (900): the longest lockout
 * @param cacheMaxEntries        PASSWORD_CACHE_MAX_ENTRIES (10000): entries each cluster member keeps (Hazelcast PER_NODE, LRU)
 * @param cacheTtlSeconds        PASSWORD_CACHE_TTL_SECONDS (900): how long an entry lives after it was written
 * @param cacheKey               PASSWORD_CACHE_KEY: base64 of 32 bytes, the AES-256-GCM key of cache values (required in production)
 * @param cacheKeyIsDevelopment  true when the key was derived because PASSWORD_CACHE_KEY is absent
 * @param trustedProxies         TRUSTED_PROXIES (none): comma-separated IPs / CIDRs whose X-Forwarded-For is believed
 * @param bcryptCost             BCRYPT_COST (12): cost of the dummy hash unknown logins are checked against (match the user service)
 * @param bcryptThreads          BCRYPT_THREADS (cores): threads verifying passwords
 * @param bcryptQueue            BCRYPT_QUEUE (64): verifications that may wait; beyond it 503 overloaded
 */
public record LoginConfig(int accountMaxFailures, int ipMaxFailures, int failureWindowSeconds,
                          int lockoutBaseSeconds, int lockoutMaxSeconds,
                          int cacheMaxEntries, int cacheTtlSeconds, byte[] cacheKey, boolean cacheKeyIsDevelopment,
                          List<String> trustedProxies,
                          int bcryptCost, int bcryptThreads, int bcryptQueue) {

  public LoginConfig {
    if (cacheKey == null || cacheKey.length != 32) {
      throw new IllegalArgumentException("the password cache key must be 32 bytes");
    }
    cacheKey = cacheKey.clone();
    trustedProxies = List.copyOf(trustedProxies);
    TrustedProxies.parse(trustedProxies); // fails early with the setting's name
    if (lockoutMaxSeconds < lockoutBaseSeconds) {
      throw new IllegalArgumentException("invalid setting LOGIN_LOCKOUT_MAX_SECONDS (must be at least LOGIN_LOCKOUT_BASE_SECONDS)");
    }
  }

  public static LoginConfig from(Settings s) {
    boolean production = "production".equalsIgnoreCase(s.string("profile", "LATCHKEY_PROFILE", "development"));
    int cores = Runtime.getRuntime().availableProcessors();
    String rawKey = s.string("passwordCacheKey", "PASSWORD_CACHE_KEY", null);
    byte[] key;
    boolean development = false;
    if (rawKey == null || rawKey.isBlank()) {
      if (production) {
        throw new IllegalStateException("the production profile needs PASSWORD_CACHE_KEY (base64 of 32 random bytes)");
      }
      key = developmentKey(s);
      development = true;
    } else {
      try {
        key = Base64.getDecoder().decode(rawKey.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid setting PASSWORD_CACHE_KEY (expected base64 of 32 bytes)");
      }
      if (key.length != 32) {
        throw new IllegalArgumentException("invalid setting PASSWORD_CACHE_KEY (expected base64 of 32 bytes, got " + key.length + ")");
      }
    }
    List<String> proxies = ApiKeys.split(s.string("trustedProxies", "TRUSTED_PROXIES", ""));
    try {
      TrustedProxies.parse(proxies);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid setting TRUSTED_PROXIES: " + e.getMessage());
    }
    return new LoginConfig(
      s.integer("loginAccountMaxFailures", "LOGIN_ACCOUNT_MAX_FAILURES", 10, 1, 1_000_000),
      s.integer("loginIpMaxFailures", "LOGIN_IP_MAX_FAILURES", 100, 1, 10_000_000),
      s.integer("loginFailureWindowSeconds", "LOGIN_FAILURE_WINDOW_SECONDS", 900, 1, 86_400),
      s.integer("loginLockoutBaseSeconds", "LOGIN_LOCKOUT_BASE_SECONDS", 60, 1, 86_400),
      s.integer("loginLockoutMaxSeconds", "LOGIN_LOCKOUT_MAX_SECONDS", 900, 1, 86_400),
      s.integer("passwordCacheMaxEntries", "PASSWORD_CACHE_MAX_ENTRIES", 10_000, 1, 10_000_000),
      s.integer("passwordCacheTtlSeconds", "PASSWORD_CACHE_TTL_SECONDS", 900, 1, 86_400),
      key, development, proxies,
      s.integer("bcryptCost", "BCRYPT_COST", 12, 4, 31),
      s.integer("bcryptThreads", "BCRYPT_THREADS", cores, 1, 256),
      s.integer("bcryptQueue", "BCRYPT_QUEUE", 64, 1, 100_000));
  }

  /**
   * Outside production, without PASSWORD_CACHE_KEY: a key derived from the internal API key
   * every node of a local cluster shares, so local nodes agree without extra setup.
   */
  private static byte[] developmentKey(Settings s) {
    List<String> keys = ApiKeys.split(s.env().get("API_KEYS"));
    String seed = keys.isEmpty() ? ApiKeys.DEVELOPMENT_KEY : keys.get(0);
    try {
      return MessageDigest.getInstance("SHA-256")
        .digest(("latchkey password cache development key|" + seed).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public byte[] cacheKey() {
    return cacheKey.clone();
  }

  @Override
  public String toString() {
    // never print the key
    return "LoginConfig[accountMaxFailures=" + accountMaxFailures + ", ipMaxFailures=" + ipMaxFailures
      + ", failureWindowSeconds=" + failureWindowSeconds + ", lockoutBaseSeconds=" + lockoutBaseSeconds
      + ", lockoutMaxSeconds=" + lockoutMaxSeconds + ", cacheMaxEntries=" + cacheMaxEntries
      + ", cacheTtlSeconds=" + cacheTtlSeconds + ", cacheKeyIsDevelopment=" + cacheKeyIsDevelopment
      + ", trustedProxies=" + trustedProxies + ", bcryptCost=" + bcryptCost + ", bcryptThreads=" + bcryptThreads
      + ", bcryptQueue=" + bcryptQueue + "]";
  }

  /** A copy with other throttling limits (tests lower or raise them). */
  public LoginConfig withThrottling(int accountMax, int ipMax, int windowSeconds, int lockoutBase, int lockoutMax) {
    return new LoginConfig(accountMax, ipMax, windowSeconds, lockoutBase, lockoutMax, cacheMaxEntries, cacheTtlSeconds,
      cacheKey, cacheKeyIsDevelopment, trustedProxies, bcryptCost, bcryptThreads, bcryptQueue);
  }
}
