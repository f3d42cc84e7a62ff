package io.latchkey.bench.jmh;

import io.latchkey.auth.token.AccessClaims;
import io.latchkey.auth.token.Revocations;
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

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@link Revocations#isRevoked}, run on every token check: local memory only, with
 * {@code revokedEntries} revoked sessions and as many user generation floors present. Half the
 * claims checked are revoked (by session or by generation), half are not.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class RevocationBenchmark {

  @Param({"100", "100000"})
  public int revokedEntries;

  private Vertx vertx;
  private AccessClaims[] claims;

  private Revocations revocations;

  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void setUp() {
    vertx = Vertx.vertx();
    revocations = TokenFixture.noRevocations(vertx);
    List<String> revokedSessions = new ArrayList<>();
    List<String> flooredUsers = new ArrayList<>();
    for (int i = 0; i < revokedEntries; i++) {
      revokedSessions.add(UUID.randomUUID().toString());
      String user = UUID.randomUUID().toString();
      flooredUsers.add(user);
      revocations.raiseGenerationFloor(user, 2, "bench");
    }
    revocations.revokeSessions(revokedSessions, "bench");
    int n = 1024;
    claims = new AccessClaims[n];
    long exp = System.currentTimeMillis() / 1000 + 3600;
    for (int i = 0; i < n; i++) {
      String user;
      String session;
      switch (i % 4) {
        case 0 -> { // revoked session
          user = UUID.randomUUID().toString();
          session = revokedSessions.get(i % revokedSessions.size());
        }
        case 1 -> { // user floor above the token's generation
          user = flooredUsers.get(i % flooredUsers.size());
          session = UUID.randomUUID().toString();
        }
        default -> { // live
          user = UUID.randomUUID().toString();
          session = UUID.randomUUID().toString();
        }
      }
      claims[i] = new AccessClaims("latchkey-auth", "latchkey", user, session, UUID.randomUUID().toString(), exp - 3600, exp,
        List.of("user"), "user" + i, 1);
    }
    int revoked = 0;
    for (AccessClaims c : claims) {
      revoked += revocations.isRevoked(c) ? 1 : 0;
    }
    if (revoked != n / 2) {
      throw new IllegalStateException("expected half the claims revoked, got " + revoked + " of " + n);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vertx.close().await();
  }

  @Benchmark
  public boolean isRevoked(Cursor cursor) {
    return revocations.isRevoked(claims[cursor.next++ & (claims.length - 1)]);
  }
}
