package io.latchkey.bench;

import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.auth.token.JwtPublicKey;
import io.latchkey.auth.token.JwtSigningKey;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;

/**
 * How the EdDSA implementation was chosen (issue 16): signatures and verifications per second,
 * one thread, of a JWT-sized input, by the JDK 17's own Ed25519 provider and by the product's
 * keys ({@link JwtSigningKey.Ed25519}: Bouncy Castle's lightweight Ed25519; and RS256 for scale).
 * No JMH: each operation runs {@code warmup} seconds unmeasured, then {@code seconds} timed.
 * Prints one JSON object. Run it several times on a quiet machine; docs/BENCHMARKS.md quotes it.
 *
 * <pre>java -cp latchkey-bench.jar io.latchkey.bench.SigningRates [warmupSeconds] [seconds]</pre>
 */
public final class SigningRates {

  interface Operation {
    boolean run() throws GeneralSecurityException;
  }

  private SigningRates() {
  }

  public static void main(String[] args) throws Exception {
    double warmup = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
    // the size of a Latchkey access token's header and payload
    byte[] input = ("eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImJlbmNoIn0." + "x".repeat(380)).getBytes(StandardCharsets.US_ASCII);

    KeyPair jdk = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] jdkSignature = jdkSign(jdk, input);
    JwtSigningKey bc = JwtKeys.newSigningKey(JwsAlgorithm.EDDSA);
    byte[] bcSignature = bc.sign(input);
    JwtSigningKey rsa = JwtKeys.newSigningKey(JwsAlgorithm.RS256);
    byte[] rsaSignature = rsa.sign(input);
    JwtPublicKey bcPublic = bc.publicKey();
    JwtPublicKey rsaPublic = rsa.publicKey();

    JsonObject out = new JsonObject().put("kind", "signing-rates").put("warmupSeconds", warmup).put("seconds", seconds)
      .put("jdkEd25519SignPerSecond", rate(() -> jdkSign(jdk, input).length == 64, warmup, seconds))
      .put("jdkEd25519VerifyPerSecond", rate(() -> jdkVerify(jdk, input, jdkSignature), warmup, seconds))
      .put("bcEd25519SignPerSecond", rate(() -> bc.sign(input).length == 64, warmup, seconds))
      .put("bcEd25519VerifyPerSecond", rate(() -> bcPublic.verifies(input, bcSignature), warmup, seconds))
      .put("rs256SignPerSecond", rate(() -> rsa.sign(input).length == 256, warmup, seconds))
      .put("rs256VerifyPerSecond", rate(() -> rsaPublic.verifies(input, rsaSignature), warmup, seconds));
    System.out.println(out.encode());
  }

  static long rate(Operation operation, double warmupSeconds, double seconds) throws GeneralSecurityException {
    long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
    while (System.nanoTime() < end) {
      check(operation.run());
    }
    long count = 0;
    long start = System.nanoTime();
    end = start + (long) (seconds * 1e9);
    long now;
    do {
      for (int i = 0; i < 50; i++) {
        check(operation.run());
      }
      count += 50;
      now = System.nanoTime();
    } while (now < end);
    return Math.round(count / ((now - start) / 1e9));
  }

  private static void check(boolean ok) {
    if (!ok) {
      throw new IllegalStateException("a signature did not verify or had the wrong length");
    }
  }

  private static byte[] jdkSign(KeyPair pair, byte[] input) throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(pair.getPrivate());
    s.update(input);
    return s.sign();
  }

  private static boolean jdkVerify(KeyPair pair, byte[] input, byte[] signature) throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(pair.getPublic());
    s.update(input);
    return s.verify(signature);
  }
}
