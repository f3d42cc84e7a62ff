package io.latchkey.auth.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading {@code Authorization: Basic} the way RFC 6749 section 2.3.1 clients (and careless ones) send it. */
class BasicCredentialsTest {

  static String basic(String raw) {
    return "Basic " + Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theSecretIsFormDecodedFirstThenTakenAsSent() {
    // RFC 6749: form-urlencoded before base64, so "k+y%3A1" is the key "k y:1"
    assertThat(BasicCredentials.secrets(basic("client+id:k+y%3A1"))).containsExactly("k y:1", "k+y%3A1");
    // a secret that needs no encoding is one candidate
    assertThat(BasicCredentials.secrets(basic("rs:plain-key"))).containsExactly("plain-key");
    // a colon in the secret belongs to the secret (the client id ends at the first one)
    assertThat(BasicCredentials.secrets(basic("rs:a:b"))).containsExactly("a:b");
    // not a valid form-encoding: only as sent
    assertThat(BasicCredentials.secrets(basic("rs:100%"))).containsExactly("100%");
    assertThat(BasicCredentials.secrets("bAsIc " + Base64.getEncoder().encodeToString("rs:k".getBytes(StandardCharsets.UTF_8))))
      .as("the scheme without regard to case").containsExactly("k");
  }

  @Test
  void malformedOrOtherSchemesPresentNothing() {
    assertThat(BasicCredentials.secrets(null)).isEmpty();
    assertThat(BasicCredentials.secrets("Bearer abc")).isEmpty();
    assertThat(BasicCredentials.secrets("Basic")).isEmpty();
    assertThat(BasicCredentials.secrets("Basic %%%")).isEmpty();
    assertThat(BasicCredentials.secrets(basic("no-colon"))).isEmpty();
    assertThat(BasicCredentials.secrets(basic("rs:"))).as("an empty secret").isEmpty();
    assertThat(BasicCredentials.secrets("Basic " + Base64.getEncoder().encodeToString(new byte[]{'a', ':', (byte) 0xFF})))
      .as("not UTF-8").isEmpty();
  }
}
