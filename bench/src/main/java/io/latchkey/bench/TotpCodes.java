package io.latchkey.bench;

import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import org.apache.commons.codec.binary.Base32;

import javax.crypto.spec.SecretKeySpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.time.Duration;
import java.time.Instant;

/**
 * The codes of the {@code login-mfa} scenario, as an authenticator app computes them (RFC 6238:
 * HMAC-SHA1, 6 digits, 30 s). Reads lines {@code <login> <password> <base32 secret>} from standard
 * input and writes {@code <login> <password> <code>}, each code that of the current 30-second step
 * moved by {@code steps} (a server accepts one step either way, so a code of the current step stays
 * good for at least 30 s: bench.sh computes them right before each wrk run). The secrets never
 * leave the benchmark's own files.
 *
 * <pre>java -cp latchkey-bench.jar io.latchkey.bench.TotpCodes [steps] &lt; secrets &gt; codes</pre>
 */
public final class TotpCodes {

  private static final Duration STEP = Duration.ofSeconds(30);

  private TotpCodes() {
  }

  public static void main(String[] args) throws IOException, InvalidKeyException {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 0;
    Instant at = Instant.now().plus(STEP.multipliedBy(steps));
    TimeBasedOneTimePasswordGenerator totp = new TimeBasedOneTimePasswordGenerator(STEP, 6);
    Base32 base32 = new Base32();
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int n = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) {
        continue;
      }
      int first = line.indexOf(' ');
      int last = line.lastIndexOf(' ');
      if (first < 0 || last <= first) {
        throw new IllegalArgumentException("line " + (n + 1) + ": expected <login> <password> <secret>");
      }
      byte[] secret = base32.decode(line.substring(last + 1));
      String code = totp.generateOneTimePasswordString(new SecretKeySpec(secret, totp.getAlgorithm()), at);
      out.println(line.substring(0, last) + " " + code);
      n++;
    }
    out.flush();
    System.err.println("TotpCodes: " + n + " codes of step " + at.getEpochSecond() / STEP.toSeconds());
  }
}
