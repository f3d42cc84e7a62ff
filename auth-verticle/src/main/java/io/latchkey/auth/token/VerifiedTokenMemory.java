package io.latchkey.auth.token;

import io.latchkey.common.Sha256;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tokens whose signature and claims were already verified, remembered until their {@code exp},
 * so that the hot path does one hash and one map lookup instead of a signature verification
 * (RS256, or EdDSA's slower one). Keyed by the SHA-256 of the whole token string (a tampered
 * token is a different key); bounded: when
 * full, expired entries are dropped first, then arbitrary ones (a dropped token is simply
 * verified again). Shared by every event loop of the process, hence concurrent.
 */
public final class VerifiedTokenMemory {

  private record Key(long a, long b, long c, long d) {
  }

  private final ConcurrentHashMap<Key, AccessClaims> entries = new ConcurrentHashMap<>();
  private final int maxEntries;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();

  public VerifiedTokenMemory(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** The remembered claims of exactly this token string, or null. Does not look at expiry. */
  public AccessClaims get(String token) {
    AccessClaims claims = entries.get(key(token));
    if (claims == null) {
      misses.incrementAndGet();
    } else {
      hits.incrementAndGet();
    }
    return claims;
  }

  public void remember(String token, AccessClaims claims) {
    if (maxEntries <= 0) {
      return;
    }
    if (entries.size() >= maxEntries) {
      makeRoom(System.currentTimeMillis() / 1000);
    }
    entries.put(key(token), claims);
  }

  /** Drops the entries whose token has expired. */
  public void sweep(long nowEpochSecond) {
    entries.values().removeIf(c -> c.expiresAt() <= nowEpochSecond);
  }

  private void makeRoom(long now) {
    sweep(now);
    int excess = entries.size() - maxEntries + Math.max(1, maxEntries / 10);
    Iterator<Key> it = entries.keySet().iterator();
    while (excess-- > 0 && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  public int size() {
    return entries.size();
  }

  public long hits() {
    return hits.get();
  }

  public long misses() {
    return misses.get();
  }

  private static Key key(String token) {
    ByteBuffer d = ByteBuffer.wrap(Sha256.digest(token.getBytes(StandardCharsets.UTF_8)));
    return new Key(d.getLong(), d.getLong(), d.getLong(), d.getLong());
  }
}
