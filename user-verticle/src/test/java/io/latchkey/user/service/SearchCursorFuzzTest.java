package io.latchkey.user.service;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.testing.FuzzDurations;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes {@link SearchCursor#decode}, which reads the {@code cursor} query parameter of
 * {@code GET /users}: any string gives a cursor that the database can take (a timestamp within
 * PostgreSQL's range) and that this service could have handed out (encoding it again gives the
 * same string), or a 400 {@code validation_failed} naming the field {@code cursor}; never
 * another exception. A forged cursor must not reach PostgreSQL and come back as a 500.
 *
 * <p>An input's first byte says how to read the rest: odd, the rest is the cursor itself;
 * even, the rest is the text inside the cursor ({@code v1:<micros>:<uuid>}), which this test
 * base64url-encodes, so the fuzzer can forge well-wrapped cursors with any content.
 */
class SearchCursorFuzzTest {

  /** Within PostgreSQL's timestamptz (4713 BC to 294276 AD). */
  private static final Instant PG_MIN = Instant.parse("-4712-01-01T00:00:00Z");
  private static final Instant PG_MAX = Instant.parse("+294276-12-31T23:59:59.999999Z");

  @FuzzTest(maxDuration = FuzzDurations.ROUND)
  void cursor(byte[] input) {
    String cursor = input.length > 0 && (input[0] & 1) == 0
      ? Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOfRange(input, 1, input.length))
      : new String(input, Math.min(1, input.length), Math.max(0, input.length - 1), StandardCharsets.ISO_8859_1);
    SearchCursor decoded;
    try {
      decoded = SearchCursor.decode(cursor);
    } catch (ApiException e) {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isEqualTo(ErrorCodes.VALIDATION_FAILED);
      assertThat(e.errors()).extracting(ApiException.FieldError::field).containsExactly("cursor");
      return;
    }
    assertThat(decoded.id()).isNotNull();
    assertThat(decoded.createdAt()).as("a cursor's time").isBetween(PG_MIN, PG_MAX);
    assertThat(decoded.encode()).as("the cursor this service would have handed out").isEqualTo(cursor);
  }
}
