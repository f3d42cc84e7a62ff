package io.latchkey.auth.cache;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;

import java.util.Base64;

/**
 * The cluster-wide password cache (conf key / environment variable, default).
 *
 * @param maxEntries       passwordCacheMaxEntries / PASSWORD_CACHE_MAX_ENTRIES (10000): entries each cluster member keeps (Hazelcast PER_NODE, LRU)
 * @param ttlSeconds       passwordCacheTtlSeconds / PASSWORD_CACHE_TTL_SECONDS (900): how long an entry lives after it was written
 * @param key              PASSWORD_CACHE_KEY: base64 of 32 bytes, the AES-256-GCM key of cache values and the HMAC key of
 *                         blinded logins and IPs (required in production; else derived from the internal API key)
 * @param keyIsDevelopment true when the key was derived because PASSWORD_CACHE_KEY is absent
 */
public record CacheSettings(int maxEntries, int ttlSeconds, byte[] key, boolean keyIsDevelopment) {

  public CacheSettings {
    if (key == null || key.length != 32) {
      throw new IllegalArgumentException("the password cache key must be 32 bytes");
    }
    key = key.clone();
  }

  public static CacheSettings from(Settings s, Profile profile) {
    String rawKey = s.string("passwordCacheKey", "PASSWORD_CACHE_KEY", null);
    byte[] key;
    boolean development = false;
    if (rawKey == null || rawKey.isBlank()) {
      if (profile.production()) {
        throw new IllegalStateException("the production profile needs PASSWORD_CACHE_KEY (base64 of 32 random bytes)");
      }
      key = ApiKeys.developmentSecret(s.env(), "latchkey password cache development key");
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
    return new CacheSettings(
      s.integer("passwordCacheMaxEntries", "PASSWORD_CACHE_MAX_ENTRIES", 10_000, 1, 10_000_000),
      s.integer("passwordCacheTtlSeconds", "PASSWORD_CACHE_TTL_SECONDS", 900, 1, 86_400),
      key, development);
  }

  @Override
  public byte[] key() {
    return key.clone();
  }

  @Override
  public String toString() {
    // never print the key
    return "CacheSettings[maxEntries=" + maxEntries + ", ttlSeconds=" + ttlSeconds + ", keyIsDevelopment=" + keyIsDevelopment + "]";
  }
}
