package io.latchkey.common;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 on the hot paths (the verified-token memory's key per token check, the refresh-token
 * hashes per refresh): one digest per thread, because {@code MessageDigest.getInstance}'s
 * provider lookup cost more than hashing a token.
 */
public final class Sha256 {

  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private Sha256() {
  }

  /** The SHA-256 of {@code data} ({@code digest} leaves the thread's instance reset for the next). */
  public static byte[] digest(byte[] data) {
    return DIGEST.get().digest(data);
  }
}
