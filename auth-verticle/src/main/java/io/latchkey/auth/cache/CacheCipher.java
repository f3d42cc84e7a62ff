package io.latchkey.auth.cache;

import io.latchkey.common.LoginKeys;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Keeps cache contents unreadable to the other members of the Hazelcast cluster (its member
 * protocol has neither TLS nor authentication, and user-service processes are members too):
 * values are AES-256-GCM sealed and bound to their user id, and the login index and throttle
 * keys are HMACs instead of usernames, emails or IPs.
 */
public final class CacheCipher {

  private static final byte FORMAT = 1;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec valueKey;
  private final SecretKeySpec indexKey;
  private final SecureRandom random = new SecureRandom();

  public CacheCipher(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("the cache key must be 32 bytes");
    }
    this.valueKey = new SecretKeySpec(derive(key, "latchkey/password-cache/value"), "AES");
    this.indexKey = new SecretKeySpec(derive(key, "latchkey/password-cache/index"), "HmacSHA256");
  }

  /** Seals a value for one key of a map; {@code context} names the map and key (it must match on open). */
  public byte[] seal(byte[] plain, String context) {
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, valueKey, new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = new byte[1 + IV_BYTES + sealed.length];
      out[0] = FORMAT;
      System.arraycopy(iv, 0, out, 1, IV_BYTES);
      System.arraycopy(sealed, 0, out, 1 + IV_BYTES, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** Opens a sealed value; throws {@link IllegalArgumentException} when it was not sealed with this key for this context. */
  public byte[] open(byte[] sealed, String context) {
    if (sealed == null || sealed.length < 1 + IV_BYTES + TAG_BITS / 8 || sealed[0] != FORMAT) {
      throw new IllegalArgumentException("not a sealed cache value");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, valueKey, new GCMParameterSpec(TAG_BITS, sealed, 1, IV_BYTES));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(sealed, 1 + IV_BYTES, sealed.length - 1 - IV_BYTES);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException("cache value does not open with this key (another key, or tampered)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** A stable, keyed, non-reversible name for a login, IP or other identifier. */
  public String blindIndex(String purpose, String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(indexKey);
      mac.update(purpose.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      byte[] digest = mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
      return purpose + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 20));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * The key logins (usernames and emails) are compared by: the same function the user service
   * stores and looks emails up by ({@link LoginKeys}), so whether a user is cached never changes
   * which user a login names.
   */
  public static String normalizeLogin(String login) {
    return LoginKeys.of(login);
  }

  private static byte[] derive(byte[] key, String label) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
