package io.latchkey.auth.token;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The answers' text: written by Jackson's generator, the same as the JSON objects' encoding. */
class TokenCheckTest {

  @Test
  void aValidTokensAnswersAreTheClaimsObjectsEncoded() {
    long exp = Instant.now().getEpochSecond() + 60;
    List<AccessClaims> all = List.of(
      new AccessClaims("iss", "aud", "user-1", "session-1", "jti-1", 100, exp, List.of("user", "admin"), "Zoë \"quoted\" \\ </script>",
        3, AccessClaims.PASSWORD_AND_OTP),
      new AccessClaims("http://127.0.0.1:8082", "latchkey", "u", "s", "j", 0, exp, List.of(), "Grüße-aus-Köln 😀", 0,
        AccessClaims.PASSKEY),
      new AccessClaims("i", "a", "u", "s", "j", 0, exp, List.of("user"), null, 0));
    for (AccessClaims claims : all) {
      TokenCheck check = TokenCheck.valid(claims);
      assertThat(check.validateBody()).isEqualTo(claims.toValidateJson().encode());
      assertThat(check.introspectionBody()).isEqualTo(claims.toIntrospectionJson().encode());
    }
  }

  @Test
  void anInvalidTokensAnswersAreConstants() {
    for (TokenCheck.Reason reason : TokenCheck.Reason.values()) {
      TokenCheck invalid = TokenCheck.invalid(reason);
      assertThat(invalid.validateBody()).isEqualTo(invalid.toValidateJson().encode());
      assertThat(invalid.introspectionBody()).isEqualTo("{\"active\":false}");
    }
  }
}
