package io.latchkey.bench.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.latchkey.auth.token.Revocations;
import io.latchkey.auth.token.TokenCheck;
import io.latchkey.auth.token.TokenValidator;
import io.latchkey.auth.token.VerifiedTokenMemory;
import io.vertx.core.Vertx;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The hot path of every token check ({@link TokenValidator#validate}): with the verified-token
 * memory (the signature checked once, then one SHA-256 and one map lookup plus the revocation
 * check) and without it (memory size 0: an RS256 verification every time). Also the signature
 * of a fresh access token, the work a refresh or login adds per request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class TokenValidationBenchmark {

  /** Distinct live tokens cycled through (all fit in the memory). */
  @Param({"1000"})
  public int tokenCount;

  private Vertx vertx;
  private TokenFixture fixture;
  private TokenValidator remembering;
  private TokenValidator verifyingEveryTime;
  private String[] tokens;

  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void setUp() {
    vertx = Vertx.vertx();
    fixture = new TokenFixture();
    Revocations revocations = TokenFixture.noRevocations(vertx);
    remembering = new TokenValidator(fixture.tokens, new VerifiedTokenMemory(100_000), revocations, Clock.systemUTC(),
      new SimpleMeterRegistry());
    verifyingEveryTime = new TokenValidator(fixture.tokens, new VerifiedTokenMemory(0), revocations, Clock.systemUTC(),
      new SimpleMeterRegistry());
    tokens = fixture.liveTokens(tokenCount);
    for (String token : tokens) {
      if (!remembering.validate(token).valid()) {
        throw new IllegalStateException("a fresh token did not validate");
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vertx.close().await();
  }

  @Benchmark
  public TokenCheck validateRemembered(Cursor cursor) {
    return remembering.validate(tokens[cursor.next++ % tokens.length]);
  }

  @Benchmark
  public TokenCheck validateWithoutMemory(Cursor cursor) {
    return verifyingEveryTime.validate(tokens[cursor.next++ % tokens.length]);
  }

  @Benchmark
  public String signAccessToken(Cursor cursor) {
    return fixture.tokens.issue("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002",
      "user" + (cursor.next++ & 1023), List.of("user"), 1, System.currentTimeMillis() / 1000 + 3600);
  }
}
