package io.latchkey.user.service;

import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import org.apache.commons.codec.binary.Base32;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.OptionalLong;
import javax.crypto.spec.SecretKeySpec;

/**
 * TOTP as RFC 6238 and every authenticator app have it: HMAC-SHA1, 30-second steps, 6 digits
 * (java-otp computes the codes), one step of drift either way. The clock is injected so that
 * tests can set the time; production uses UTC.
 */
public final class Totp {

  public static final Duration STEP = Duration.ofSeconds(30);
  public static final int DIGITS = 6;
  /** 160 bits, RFC 4226's recommendation and the HMAC-SHA1 block's natural key size. */
  public static final int SECRET_BYTES = 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private final TimeBasedOneTimePasswordGenerator generator;

  public Totp(Clock clock) {
    this(clock, DIGITS);
  }

  /** {@code digits}: 6 in service; RFC 6238's own test vectors have 8. */
  public Totp(Clock clock, int digits) {
    this.clock = clock;
    this.generator = new TimeBasedOneTimePasswordGenerator(STEP, digits, TimeBasedOneTimePasswordGenerator.TOTP_ALGORITHM_HMAC_SHA1);
  }

  /** The RFC 6238 step (T) of the clock's now. */
  public long currentStep() {
    return Math.floorDiv(clock.millis(), STEP.toMillis());
  }

  /** The code of {@code step} for the raw secret. */
  public String code(byte[] secret, long step) {
    try {
      return generator.generateOneTimePasswordString(new SecretKeySpec(secret, generator.getAlgorithm()),
        Instant.ofEpochSecond(step * STEP.getSeconds()), Locale.ROOT);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("a TOTP secret was refused as an HMAC key", e);
    }
  }

  /**
   * The lowest step among now-1, now and now+1 that is above {@code usedStep} and whose code is
   * {@code code}; every candidate is computed and compared in constant time.
   */
  public OptionalLong acceptableStep(byte[] secret, String code, long usedStep) {
    byte[] given = code.getBytes(StandardCharsets.US_ASCII);
    long now = currentStep();
    long found = Long.MAX_VALUE;
    for (long step = now + 1; step >= now - 1; step--) {
      boolean same = MessageDigest.isEqual(given, code(secret, step).getBytes(StandardCharsets.US_ASCII));
      if (same && step > usedStep) {
        found = step;
      }
    }
    return found == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(found);
  }

  /** Exactly six ASCII digits. */
  public static boolean wellFormed(String code) {
    if (code == null || code.length() != DIGITS) {
      return false;
    }
    for (int i = 0; i < code.length(); i++) {
      char c = code.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  public static byte[] newSecret() {
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }

  /** Base32 (RFC 4648) without padding, as authenticator apps take it. */
  public static String base32(byte[] secret) {
    return new Base32().encodeToString(secret).replace("=", "");
  }

  /**
   * The key URI authenticator apps read (Google Authenticator's format):
   * {@code otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30}.
   */
  public static String uri(String issuer, String account, String base32Secret) {
    return "otpauth://totp/" + encode(issuer) + ":" + encode(account) + "?secret=" + base32Secret + "&issuer=" + encode(issuer)
      + "&algorithm=SHA1&digits=" + DIGITS + "&period=" + STEP.getSeconds();
  }

  private static String encode(String text) {
    // form encoding writes a space as '+', which a URI's path and query do not mean
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
