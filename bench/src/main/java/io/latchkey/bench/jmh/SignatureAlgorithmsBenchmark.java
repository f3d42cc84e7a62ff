package io.latchkey.bench.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;

/**
 * What another JWS algorithm would change for refresh (one signature per refresh) and for the
 * first validation of each new token (one verification per token and auth node, then the
 * verified-token memory answers): sign and verify of a JWT-sized input with the JDK's own
 * providers, one thread. RS256 and EdDSA are the product's algorithms (its EdDSA uses Bouncy
 * Castle's Ed25519 instead of the JDK's, measured by {@code io.latchkey.bench.SigningRates}); ES256
 * is not offered, it is measured for the comparison in docs/BENCHMARKS.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class SignatureAlgorithmsBenchmark {

  @Param({"RS256", "ES256", "Ed25519"})
  public String algorithm;

  private KeyPair pair;
  private String jcaName;
  private byte[] signingInput;
  private byte[] signature;

  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    KeyPairGenerator generator;
    switch (algorithm) {
      case "RS256" -> {
        generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        jcaName = "SHA256withRSA";
      }
      case "ES256" -> {
        generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        jcaName = "SHA256withECDSAinP1363Format";
      }
      case "Ed25519" -> {
        generator = KeyPairGenerator.getInstance("Ed25519");
        jcaName = "Ed25519";
      }
      default -> throw new IllegalArgumentException(algorithm);
    }
    pair = generator.generateKeyPair();
    // the size of a Latchkey access token's header and payload
    signingInput = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImJlbmNoIn0."
      + "x".repeat(380)).getBytes(StandardCharsets.US_ASCII);
    signature = sign();
    if (!verify()) {
      throw new IllegalStateException(algorithm + " does not verify its own signature");
    }
  }

  @Benchmark
  public byte[] sign() throws GeneralSecurityException {
    Signature s = Signature.getInstance(jcaName);
    s.initSign(pair.getPrivate());
    s.update(signingInput);
    return s.sign();
  }

  @Benchmark
  public boolean verify() throws GeneralSecurityException {
    Signature s = Signature.getInstance(jcaName);
    s.initVerify(pair.getPublic());
    s.update(signingInput);
    return s.verify(signature);
  }
}
