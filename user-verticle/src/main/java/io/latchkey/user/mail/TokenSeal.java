package io.latchkey.user.mail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the token a queued mail carries (AES-256-GCM, a random 96-bit nonce per seal), so the
 * mail outbox never holds a usable token in the clear while the mail waits for the SMTP server.
 * The keys are derived from the internal API keys ({@code ApiKeys#derivedSecrets}): the first
 * seals, every one of them opens, so a mail queued before a key rotation is still sent after it.
 */
public final class TokenSeal {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] AAD = "latchkey mail outbox token v1".getBytes(StandardCharsets.US_ASCII);

  private final List<SecretKeySpec> keys;

  public TokenSeal(List<byte[]> secrets) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one sealing secret is required");
    }
    this.keys = secrets.stream().map(s -> new SecretKeySpec(s, 0, 32, "AES")).toList();
  }

  public byte[] seal(String token) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(0), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(AAD);
      byte[] sealed = cipher.doFinal(token.getBytes(StandardCharsets.US_ASCII));
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** The token, or empty when no key of this node opens it (sealed under a key no longer configured, or damaged). */
  public Optional<String> open(byte[] sealed) {
    if (sealed == null || sealed.length <= NONCE_BYTES) {
      return Optional.empty();
    }
    for (SecretKeySpec key : keys) {
      try {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
        cipher.updateAAD(AAD);
        byte[] plain = cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        return Optional.of(new String(plain, StandardCharsets.US_ASCII));
      } catch (AEADBadTagException wrongKey) {
        // try the next key
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM is not available", e);
      }
    }
    return Optional.empty();
  }
}
