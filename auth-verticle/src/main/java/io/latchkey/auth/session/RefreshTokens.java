package io.latchkey.auth.session;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Refresh tokens: 256 random bits in base64url (43 characters). The database only ever sees
 * their SHA-256. The successor of a presented token is HMAC-SHA256(server secret, token): the
 * server can produce it again for a retry inside the grace without having stored it, and nobody
 * without the secret can compute it.
 */
public final class RefreshTokens {

  public static final int TOKEN_LENGTH = 43;
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final SecureRandom random = new SecureRandom();
  private final SecretKeySpec secret;

  public RefreshTokens(byte[] secret) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("REFRESH_TOKEN_SECRET must be at least 32 bytes");
    }
    this.secret = new SecretKeySpec(secret, "HmacSHA256");
  }

  public String newToken() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }

  /** The token that replaces {@code presented} when it is rotated; always the same for the same token. */
  public String successorOf(String presented) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(secret);
      return ENCODER.encodeToString(mac.doFinal(presented.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** True when the string has the shape of a token we issue (checked before any database work). */
  public static boolean wellFormed(String token) {
    if (token == null || token.length() != TOKEN_LENGTH) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }
}
