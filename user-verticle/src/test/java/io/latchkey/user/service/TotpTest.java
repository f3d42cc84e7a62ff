package io.latchkey.user.service;

import org.apache.commons.codec.binary.Base32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** TOTP through the generator configuration the service checks codes with: RFC 6238's own vectors, drift, replay order. */
class TotpTest {

  /** RFC 6238 Appendix B: the SHA-1 seed, the ASCII of "12345678901234567890". */
  private static final byte[] RFC_SECRET = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

  private static Totp at(long epochSecond, int digits) {
    return new Totp(Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC), digits);
  }

  @ParameterizedTest(name = "T = {0}")
  @CsvSource({
    "59, 94287082",
    "1111111109, 07081804",
    "1111111111, 14050471",
    "1234567890, 89005924",
    "2000000000, 69279037",
    "20000000000, 65353130"})
  void rfc6238AppendixBSha1Vectors(long time, String expected) {
    Totp totp = at(time, 8);
    assertThat(totp.code(RFC_SECRET, totp.currentStep())).isEqualTo(expected);
    // the service's six digits are the same truncation, modulo 10^6
    Totp six = at(time, 6);
    assertThat(six.code(RFC_SECRET, six.currentStep())).isEqualTo(expected.substring(2));
    assertThat(six.acceptableStep(RFC_SECRET, expected.substring(2), -1)).hasValue(time / 30);
  }

  @Test
  void oneStepOfDriftEitherWayIsAcceptedTwoAreNot() {
    long now = 1_700_000_000L / 30;
    Totp totp = at(now * 30 + 7, 6);
    byte[] secret = Totp.newSecret();
    assertThat(totp.acceptableStep(secret, totp.code(secret, now - 1), 0)).hasValue(now - 1);
    assertThat(totp.acceptableStep(secret, totp.code(secret, now), 0)).hasValue(now);
    assertThat(totp.acceptableStep(secret, totp.code(secret, now + 1), 0)).hasValue(now + 1);
    for (long far : new long[] {now - 2, now + 2, now - 3, now + 3}) {
      String code = totp.code(secret, far);
      // (a far step's code may equal a near one's by chance, one in a million: then it is that near step's)
      assertThat(totp.acceptableStep(secret, code, 0)).as("step " + (far - now))
        .satisfiesAnyOf(found -> assertThat(found).isEmpty(), found -> assertThat(code).isEqualTo(totp.code(secret, found.getAsLong())));
    }
  }

  @Test
  void aStepAtOrBelowTheLastUsedOneIsNotAcceptedAgain() {
    long now = 1_800_000_000L / 30;
    Totp totp = at(now * 30, 6);
    byte[] secret = Totp.newSecret();
    String current = totp.code(secret, now);
    assertThat(totp.acceptableStep(secret, current, now - 1)).hasValue(now);
    assertThat(totp.acceptableStep(secret, current, now)).as("the same step again").isEmpty();
    assertThat(totp.acceptableStep(secret, totp.code(secret, now - 1), now)).as("an earlier step after a later one").isEmpty();
    assertThat(totp.acceptableStep(secret, totp.code(secret, now + 1), now)).hasValue(now + 1);
  }

  @Test
  void onlySixAsciiDigitsAreACode() {
    assertThat(Totp.wellFormed("012345")).isTrue();
    for (String bad : new String[] {null, "", "12345", "1234567", "12345a", " 12345", "١٢٣٤٥٦", "12 456"}) {
      assertThat(Totp.wellFormed(bad)).as(String.valueOf(bad)).isFalse();
    }
  }

  @Test
  void theKeyUriCarriesTheSecretIssuerAndParametersPercentEncoded() {
    byte[] secret = Totp.newSecret();
    String base32 = Totp.base32(secret);
    assertThat(base32).hasSize(32).matches("[A-Z2-7]+");
    assertThat(new Base32().decode(base32)).isEqualTo(secret);
    String uri = Totp.uri("Acme & Co", "alice.b", base32);
    URI parsed = URI.create(uri);
    assertThat(parsed.getScheme()).isEqualTo("otpauth");
    assertThat(parsed.getHost()).isEqualTo("totp");
    assertThat(parsed.getPath()).isEqualTo("/Acme & Co:alice.b");
    Map<String, String> query = new HashMap<>();
    for (String pair : parsed.getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      query.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    assertThat(query).containsEntry("secret", base32).containsEntry("issuer", "Acme & Co").containsEntry("algorithm", "SHA1")
      .containsEntry("digits", "6").containsEntry("period", "30").hasSize(5);
  }
}
