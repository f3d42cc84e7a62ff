package io.latchkey.user.mail;

import io.latchkey.common.AeadSeal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Seals the token a queued mail carries ({@link AeadSeal}: AES-256-GCM, a random nonce per seal),
 * so the mail outbox never holds a usable token in the clear while the mail waits for the SMTP
 * server. The keys are derived from the internal API keys ({@code ApiKeys#derivedSecrets}): the
 * first seals, every one of them opens, so a mail queued before a key rotation is still sent after it.
 */
public final class TokenSeal {

  private static final byte[] AAD = "latchkey mail outbox token v1".getBytes(StandardCharsets.US_ASCII);

  private final AeadSeal seal;

  public TokenSeal(List<byte[]> secrets) {
    this.seal = new AeadSeal(secrets);
  }

  public byte[] seal(String token) {
    return seal.seal(token.getBytes(StandardCharsets.US_ASCII), AAD);
  }

  /** The token, or empty when no key of this node opens it (sealed under a key no longer configured, or damaged). */
  public Optional<String> open(byte[] sealed) {
    return seal.open(sealed, AAD).map(plain -> new String(plain, StandardCharsets.US_ASCII));
  }
}
