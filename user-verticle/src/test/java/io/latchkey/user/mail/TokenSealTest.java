package io.latchkey.user.mail;

import io.latchkey.common.ApiKeys;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TokenSealTest {

  private static TokenSeal sealOf(List<String> fullKeys, String outgoing) {
    return new TokenSeal(new ApiKeys(fullKeys, List.of(), outgoing).derivedSecrets("mail outbox token"));
  }

  @Test
  void whatOneNodeSealsAnotherOpensAlsoWhileKeysRotate() {
    String token = MailTokens.newToken();
    byte[] sealed = sealOf(List.of("old-key-0123456789"), "old-key-0123456789").seal(token);
    assertThat(new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(token);
    // the rotated node sends with the new key but still lists the old one
    assertThat(sealOf(List.of("new-key-0123456789", "old-key-0123456789"), "new-key-0123456789").open(sealed)).contains(token);
    // once the old key is gone, the token cannot be opened (never a wrong token)
    assertThat(sealOf(List.of("new-key-0123456789"), "new-key-0123456789").open(sealed)).isEmpty();
  }

  @Test
  void aDamagedSealOpensToNothing() {
    TokenSeal seal = sealOf(List.of("a-key-0123456789"), "a-key-0123456789");
    byte[] sealed = seal.seal(MailTokens.newToken());
    sealed[sealed.length - 1] ^= 1;
    assertThat(seal.open(sealed)).isEmpty();
    assertThat(seal.open(new byte[5])).isEmpty();
    assertThat(seal.open(null)).isEmpty();
  }

  @Test
  void tokensAre256RandomBitsAndOnlyTheirShapeIsAccepted() {
    String token = MailTokens.newToken();
    assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]+");
    assertThat(MailTokens.newToken()).isNotEqualTo(token);
    assertThat(MailTokens.wellFormed(token)).isTrue();
    assertThat(MailTokens.wellFormed(token + "A")).isFalse();
    assertThat(MailTokens.wellFormed(token.substring(1) + "=")).isFalse();
    assertThat(MailTokens.wellFormed(null)).isFalse();
    assertThat(MailTokens.hash(token)).hasSize(32);
  }
}
