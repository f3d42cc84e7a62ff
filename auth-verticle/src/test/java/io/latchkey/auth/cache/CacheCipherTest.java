package io.latchkey.auth.cache;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheCipherTest {

  static byte[] key(int fill) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) fill);
    return key;
  }

  @Test
  void sealedValuesOpenOnlyWithTheSameKeyAndContext() {
    CacheCipher cipher = new CacheCipher(key(1));
    byte[] plain = "{\"passwordHash\":\"$2a$04$secret\"}".getBytes(StandardCharsets.UTF_8);

    byte[] sealed = cipher.seal(plain, "map/user-1");

    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("$2a$").doesNotContain("passwordHash");
    assertThat(cipher.open(sealed, "map/user-1")).isEqualTo(plain);
    assertThat(cipher.seal(plain, "map/user-1")).isNotEqualTo(sealed); // a fresh IV each time
    // moved to another user's key, or opened with another key: refused
    assertThatThrownBy(() -> cipher.open(sealed, "map/user-2")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CacheCipher(key(2)).open(sealed, "map/user-1")).isInstanceOf(IllegalArgumentException.class);
    byte[] tampered = sealed.clone();
    tampered[tampered.length - 1] ^= 1;
    assertThatThrownBy(() -> cipher.open(tampered, "map/user-1")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void blindIndexesAreStableKeyedAndDoNotShowTheValue() {
    CacheCipher cipher = new CacheCipher(key(1));

    String a = cipher.blindIndex("login", "alice@example.com");

    assertThat(cipher.blindIndex("login", "alice@example.com")).isEqualTo(a);
    assertThat(a).doesNotContain("alice");
    assertThat(cipher.blindIndex("ip", "alice@example.com")).isNotEqualTo(a);
    assertThat(new CacheCipher(key(2)).blindIndex("login", "alice@example.com")).isNotEqualTo(a);
  }
}
