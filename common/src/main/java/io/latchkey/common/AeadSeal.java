package io.latchkey.common;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM under a list of keys: the first seals (a random 96-bit nonce per seal, stored in
 * front of the ciphertext), every one of them opens, so what was sealed before a key rotation
 * still opens after it while the old key stays listed. The associated data binds a sealed value
 * to where it belongs (a purpose, a user id): the same bytes under other associated data do not
 * open.
 */
public final class AeadSeal {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final List<SecretKeySpec> keys;

  /** {@code secrets}: at least one, each of at least 32 bytes (the first 32 are the AES key). */
  public AeadSeal(List<byte[]> secrets) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one sealing secret is required");
    }
    for (byte[] secret : secrets) {
      if (secret.length < 32) {
        throw new IllegalArgumentException("a sealing secret must have at least 32 bytes");
      }
    }
    this.keys = secrets.stream().map(s -> new SecretKeySpec(s, 0, 32, "AES")).toList();
  }

  public byte[] seal(byte[] plain, byte[] associatedData) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(0), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData);
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * The plain bytes, or empty when no key opens them for this associated data (sealed under a
   * key no longer listed, for something else, or damaged).
   */
  public Optional<byte[]> open(byte[] sealed, byte[] associatedData) {
    if (sealed == null || sealed.length <= NONCE_BYTES) {
      return Optional.empty();
    }
    for (SecretKeySpec key : keys) {
      try {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
        cipher.updateAAD(associatedData);
        return Optional.of(cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES));
      } catch (AEADBadTagException wrongKey) {
        // try the next key
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM is not available", e);
      }
    }
    return Optional.empty();
  }
}
