package io.latchkey.auth.session;

import io.latchkey.common.Sha256;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Refresh tokens. A token is base64url without padding (98 characters) of 73 bytes:
 * <pre>
 *   version 0x01 (1) | session id (16) | generation (8, big-endian) | random (32) | tag (16)
 * </pre>
 * The tag is HMAC-SHA256, cut to 16 bytes, over everything before it, under a key derived from
 * REFRESH_TOKEN_SECRET: only the server mints a token that verifies. The database keeps the
 * SHA-256 of a session's current token and that token's generation, so an older token of the
 * session is recognised by its (authentic) generation alone, without a row per rotation. A
 * login's token (generation 0) has 32 bytes from {@link SecureRandom}; the successor of a token
 * is the next generation with 32 bytes of HMAC-SHA256 of the token under a second derived key:
 * the server can produce it again for a retry inside the grace without having stored it, and
 * nobody without the secret can compute it. The secret lies in the random part (256 bits); the
 * rest is for the server and clients must not read it.
 *
 * <p>Legacy tokens (43 characters: 256 random bits, no session in them) were issued before
 * migration V14 and are found by their hash; their successor is a token of this format,
 * generation 1. {@link #legacySuccessorOf} is the old successor rule (HMAC under the secret
 * itself), needed only to answer a retry of a token rotated just before the upgrade.
 */
public final class RefreshTokens {

  public static final byte VERSION = 0x01;
  /** Characters of a token: base64url of {@link #BYTES} bytes, no padding. */
  public static final int LENGTH = 98;
  /** Characters of a token issued before V14. */
  public static final int LEGACY_LENGTH = 43;
  private static final int SESSION_AT = 1;
  private static final int GENERATION_AT = SESSION_AT + 16;
  private static final int RANDOM_AT = GENERATION_AT + 8;
  private static final int RANDOM_BYTES = 32;
  private static final int TAG_AT = RANDOM_AT + RANDOM_BYTES;
  private static final int TAG_BYTES = 16;
  static final int BYTES = TAG_AT + TAG_BYTES;
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  /** A token of the current format, read (its tag not checked yet: see {@link #authentic}). */
  public record Parsed(String token, UUID sessionId, long generation, byte[] bytes) {
  }

  private final SecureRandom random = new SecureRandom();
  private final SecretKeySpec tagKey;
  private final SecretKeySpec successorKey;
  private final SecretKeySpec legacySuccessorKey;

  public RefreshTokens(byte[] secret) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("REFRESH_TOKEN_SECRET must be at least 32 bytes");
    }
    // one secret, two keys by label: a tag never doubles as a successor's random part or the reverse
    this.tagKey = key(hmac(key(secret), "latchkey refresh token tag v1".getBytes(StandardCharsets.US_ASCII)));
    this.successorKey = key(hmac(key(secret), "latchkey refresh token successor v1".getBytes(StandardCharsets.US_ASCII)));
    this.legacySuccessorKey = key(secret);
  }

  /** The first token of a new session (generation 0). */
  public String newToken(UUID sessionId) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    return mint(sessionId, 0, bytes);
  }

  /** The token that replaces {@code presented} when it is rotated; always the same for the same token. */
  public String successorOf(Parsed presented) {
    return mint(presented.sessionId(), presented.generation() + 1, hmac(successorKey, ascii(presented.token())));
  }

  /** The token that replaces a legacy token of session {@code sessionId}: generation 1, derived like any successor. */
  public String successorOfLegacy(UUID sessionId, String legacy) {
    return mint(sessionId, 1, hmac(successorKey, ascii(legacy)));
  }

  /** The successor a legacy token got before V14 (a legacy token too): only to answer a retry across the upgrade. */
  public String legacySuccessorOf(String legacy) {
    return ENCODER.encodeToString(hmac(legacySuccessorKey, ascii(legacy)));
  }

  /** True when the token's tag is the one this secret gives it (compared in constant time). */
  public boolean authentic(Parsed token) {
    byte[] expected = Arrays.copyOf(hmac(tagKey, Arrays.copyOf(token.bytes(), TAG_AT)), TAG_BYTES);
    return MessageDigest.isEqual(expected, Arrays.copyOfRange(token.bytes(), TAG_AT, BYTES));
  }

  private String mint(UUID sessionId, long generation, byte[] randomPart) {
    ByteBuffer bytes = ByteBuffer.allocate(BYTES)
      .put(VERSION)
      .putLong(sessionId.getMostSignificantBits()).putLong(sessionId.getLeastSignificantBits())
      .putLong(generation)
      .put(randomPart, 0, RANDOM_BYTES);
    bytes.put(hmac(tagKey, Arrays.copyOf(bytes.array(), TAG_AT)), 0, TAG_BYTES);
    return ENCODER.encodeToString(bytes.array());
  }

  /**
   * Reads a token of the current format: exactly its length, canonical base64url, version 1, a
   * generation from 0 below the largest (its successor's must exist). Empty for anything else,
   * legacy tokens included; no database work is needed to refuse it.
   */
  public static Optional<Parsed> parse(String token) {
    if (token == null || token.length() != LENGTH || !base64url(token)) {
      return Optional.empty();
    }
    byte[] bytes = DECODER.decode(token);
    // the last character carries 4 unused bits: only the one spelling we issue is a token
    if (bytes.length != BYTES || bytes[0] != VERSION || !ENCODER.encodeToString(bytes).equals(token)) {
      return Optional.empty();
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes, SESSION_AT, BYTES - SESSION_AT);
    UUID sessionId = new UUID(buffer.getLong(), buffer.getLong());
    long generation = buffer.getLong();
    if (generation < 0 || generation == Long.MAX_VALUE) {
      return Optional.empty();
    }
    return Optional.of(new Parsed(token, sessionId, generation, bytes));
  }

  /** True when the string has the shape of a token issued before V14 (43 base64url characters). */
  public static boolean legacyShape(String token) {
    return token != null && token.length() == LEGACY_LENGTH && base64url(token);
  }

  /** True when the string has the shape of a refresh token of either format (never of a JWT: no dots). */
  public static boolean refreshTokenShape(String token) {
    return legacyShape(token) || parse(token).isPresent();
  }

  public static byte[] hash(String token) {
    return Sha256.digest(ascii(token));
  }

  /**
   * A Mac per thread: a refresh computes three HMACs, and the provider lookup of
   * {@code getInstance} was most of their cost in the profile (docs/BENCHMARKS.md).
   */
  private static final ThreadLocal<Mac> HMAC_SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  });

  private static boolean base64url(String token) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String token) {
    return token.getBytes(StandardCharsets.US_ASCII);
  }

  private static SecretKeySpec key(byte[] bytes) {
    return new SecretKeySpec(bytes, "HmacSHA256");
  }

  private static byte[] hmac(SecretKeySpec key, byte[] data) {
    Mac mac = HMAC_SHA256.get();
    try {
      mac.init(key);
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
