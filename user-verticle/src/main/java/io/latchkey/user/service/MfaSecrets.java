package io.latchkey.user.service;

import io.latchkey.common.AeadSeal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of the second factor, from MFA_SECRET_KEY ({@link MfaSettings#keys}): each configured
 * key gives, by HMAC-SHA256 with a label, one AES-256-GCM key for TOTP secrets and one HMAC key for
 * recovery codes. The first configured key seals and hashes what is new; every one opens and
 * checks, so rows written before a rotation keep working while the old key stays listed.
 *
 * <p>A sealed secret's associated data is its user id: a sealed value copied to another user's
 * row does not open. A recovery code has 50 random bits, so a fast keyed hash is the right
 * store (a slow password hash defends guessable secrets; these are not guessable, and without
 * the key the hashes give nothing to guess against).
 */
public final class MfaSecrets {

  private static final String SEAL_LABEL = "latchkey mfa totp secret seal v1";
  private static final String RECOVERY_LABEL = "latchkey mfa recovery code hash v1";

  private final AeadSeal seal;
  private final List<byte[]> recoveryKeys;

  public MfaSecrets(List<byte[]> keys) {
    this.seal = new AeadSeal(keys.stream().map(k -> hmac(k, SEAL_LABEL)).toList());
    this.recoveryKeys = keys.stream().map(k -> hmac(k, RECOVERY_LABEL)).toList();
  }

  public byte[] seal(UUID userId, byte[] secret) {
    return seal.seal(secret, associatedData(userId));
  }

  /** The secret, or empty when no configured key opens it for this user. */
  public Optional<byte[]> open(UUID userId, byte[] sealed) {
    return seal.open(sealed, associatedData(userId));
  }

  /** The hash a new recovery code is stored as (the first key). */
  public byte[] recoveryHash(UUID userId, String normalizedCode) {
    return recoveryHash(recoveryKeys.get(0), userId, normalizedCode);
  }

  /** The hashes the code may be stored as, one per configured key. */
  public List<byte[]> recoveryHashes(UUID userId, String normalizedCode) {
    return recoveryKeys.stream().map(k -> recoveryHash(k, userId, normalizedCode)).toList();
  }

  private static byte[] recoveryHash(byte[] key, UUID userId, String normalizedCode) {
    return hmac(key, userId + "|" + normalizedCode);
  }

  private static byte[] associatedData(UUID userId) {
    return ("latchkey totp secret|" + userId).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
