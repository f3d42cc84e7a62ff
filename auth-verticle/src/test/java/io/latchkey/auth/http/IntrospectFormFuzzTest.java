package io.latchkey.auth.http;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.testing.FuzzDurations;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the introspect form parser (RFC 7662, {@code token=...&token_type_hint=...}) with
 * arbitrary bodies: the answer is a non-empty token, or an {@link ApiException} 400
 * ({@code malformed_request} or {@code validation_failed}); never another exception, which
 * would be a 500 whose log line carries the exception's message. Nothing of the body may
 * appear in what the exception says. Each committed input under
 * {@code IntrospectFormFuzzTestInputs/form/} is a raw body, read as UTF-8 as the route reads it.
 */
class IntrospectFormFuzzTest {

  @FuzzTest(maxDuration = FuzzDurations.ROUND)
  void form(byte[] input) {
    String body = new String(input, StandardCharsets.UTF_8);
    String token;
    try {
      token = IntrospectForm.token(body);
    } catch (ApiException e) {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isIn(ErrorCodes.MALFORMED_REQUEST, ErrorCodes.VALIDATION_FAILED);
      assertNothingOfTheBodyIn(body, e.detail());
      e.errors().forEach(err -> assertNothingOfTheBodyIn(body, err.message()));
      return;
    }
    assertThat(token).isNotEmpty();
  }

  /**
   * A message of ours is plain prose: letters, spaces and a little punctuation (and "UTF-8"), so
   * no token, percent-escape or index from the body; nor does it hold any longer run of the body.
   */
  private static void assertNothingOfTheBodyIn(String body, String message) {
    assertThat(message.replace("UTF-8", "")).as("an error message of plain prose").matches("[A-Za-z ,.'-]+");
    for (String piece : body.split("[&=]")) {
      if (piece.length() >= 20) {
        assertThat(message).as("an error message quoting the body").doesNotContain(piece);
      }
    }
  }
}
