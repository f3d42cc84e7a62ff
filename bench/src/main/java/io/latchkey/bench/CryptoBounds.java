package io.latchkey.bench;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.auth.token.TokenSettings;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The two bounds the bench compares against, measured alone (while the services are idle) in
 * the same run: one thread timing single operations, reporting the median.
 * <ul>
 *   <li>bcrypt verify at the benchmark's cost, exactly the call {@code BcryptPool} makes
 *       (at.favre.lib); login bound = bcrypt threads / median verify time;</li>
 *   <li>an access-token signature made by the product's own {@link AccessTokens#issue} (the
 *       claims a refresh signs), RS256 with a 2048-bit key and EdDSA with an Ed25519 key; refresh
 *       bound = signing threads (the auth service's event-loop instances) / median sign time, one
 *       per algorithm.</li>
 * </ul>
 * Prints one JSON object on stdout.
 *
 * <pre>java -cp latchkey-bench.jar io.latchkey.bench.CryptoBounds &lt;bcryptCost&gt; &lt;bcryptThreads&gt; &lt;signingThreads&gt;</pre>
 */
public final class CryptoBounds {

  private CryptoBounds() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: CryptoBounds <bcryptCost> <bcryptThreads> <signingThreads>");
      System.exit(2);
    }
    int cost = Integer.parseInt(args[0]);
    int bcryptThreads = Integer.parseInt(args[1]);
    int signingThreads = Integer.parseInt(args[2]);

    double verifyMs = medianBcryptVerifyMs(cost, 5, 41);
    double signMs = medianSignMs(JwsAlgorithm.RS256, 1_000, 3_001);
    double eddsaSignMs = medianSignMs(JwsAlgorithm.EDDSA, 10_000, 30_001);
    double loopPerSecond = bcryptLoopPerSecond(cost, bcryptThreads, 30);
    double signLoopPerSecond = signLoopPerSecond(JwsAlgorithm.RS256, signingThreads, 5);
    JsonObject out = new JsonObject().put("kind", "bounds")
      .put("bcryptCost", cost)
      .put("bcryptVerifyMedianMs", round(verifyMs, 3))
      .put("bcryptThreads", bcryptThreads)
      .put("bcryptBoundPerSecond", round(bcryptThreads * 1000.0 / verifyMs, 1))
      .put("bcryptLoopPerSecond", round(loopPerSecond, 1))
      .put("rs256SignMedianMs", round(signMs, 4))
      .put("signingThreads", signingThreads)
      .put("rs256SignBoundPerSecond", round(signingThreads * 1000.0 / signMs, 1))
      .put("rs256SignLoopPerSecond", round(signLoopPerSecond, 1))
      .put("eddsaSignMedianMs", round(eddsaSignMs, 4))
      .put("eddsaSignBoundPerSecond", round(signingThreads * 1000.0 / eddsaSignMs, 1));
    System.out.println(out.encode());
  }

  static double medianBcryptVerifyMs(int cost, int warmups, int samples) {
    byte[] password = "correct horse battery staple 42".getBytes(StandardCharsets.UTF_8);
    byte[] hash = BCrypt.withDefaults().hash(cost, password);
    double[] ms = new double[samples];
    for (int i = 0; i < warmups + samples; i++) {
      long start = System.nanoTime();
      boolean ok = BCrypt.verifyer().verify(password, hash).verified;
      long took = System.nanoTime() - start;
      if (!ok) {
        throw new IllegalStateException("bcrypt verify of the right password failed");
      }
      if (i >= warmups) {
        ms[i - warmups] = took / 1e6;
      }
    }
    return median(ms);
  }

  /**
   * What bcrypt alone reaches of its bound: {@code threads} threads verifying back to back
   * ({@code each} verifies each, nothing else running in this process), verifies per second.
   * Not a bound of its own: it shows how much of the median-based bound the machine gives to
   * bcrypt at all (scheduler ticks, other processes, the slower verifies above the median).
   */
  static double bcryptLoopPerSecond(int cost, int threads, int each) throws Exception {
    byte[] password = "correct horse battery staple 42".getBytes(StandardCharsets.UTF_8);
    byte[] hash = BCrypt.withDefaults().hash(cost, password);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Callable<Integer>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        work.add(() -> {
          int verified = 0;
          for (int i = 0; i < each; i++) {
            verified += BCrypt.verifyer().verify(password, hash).verified ? 1 : 0;
          }
          return verified;
        });
      }
      long start = System.nanoTime();
      int verified = 0;
      for (Future<Integer> done : pool.invokeAll(work)) {
        verified += done.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (verified != threads * each) {
        throw new IllegalStateException("bcrypt verify of the right password failed");
      }
      return verified / seconds;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * What signing alone reaches on {@code threads} threads: each signs access tokens back to back
   * for {@code seconds} seconds (after a second of its own warm-up), tokens per second in all. Not
   * a bound of its own, as {@link #bcryptLoopPerSecond}: it shows how much of the median-based
   * bound two threads get when they do nothing else (the slower signs above the median, the
   * machine's own pace between runs).
   */
  static double signLoopPerSecond(JwsAlgorithm algorithm, int threads, int seconds) throws Exception {
    AccessTokens tokens = tokens(algorithm);
    long notAfter = System.currentTimeMillis() / 1000 + 86_400;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Callable<long[]>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        work.add(() -> {
          String userId = UUID.randomUUID().toString();
          long warm = System.nanoTime() + 1_000_000_000L;
          while (System.nanoTime() < warm) {
            tokens.issue(userId, userId, "bench-user", List.of("user"), 1, notAfter);
          }
          long start = System.nanoTime();
          long end = start + seconds * 1_000_000_000L;
          long signed = 0;
          long now;
          while ((now = System.nanoTime()) < end) {
            signed += tokens.issue(userId, userId, "bench-user", List.of("user"), 1, notAfter).isEmpty() ? 0 : 1;
          }
          return new long[]{signed, now - start};
        });
      }
      double perSecond = 0;
      for (Future<long[]> done : pool.invokeAll(work)) {
        long[] result = done.get();
        perSecond += result[0] / (result[1] / 1e9);
      }
      return perSecond;
    } finally {
      pool.shutdownNow();
    }
  }

  static AccessTokens tokens(JwsAlgorithm algorithm) {
    JwtKeys keys = JwtKeys.of("bench", JwtKeys.newSigningKey(algorithm));
    return new AccessTokens(keys, new TokenSettings("latchkey-auth", "latchkey", Duration.ofMinutes(15),
      Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10)), Clock.systemUTC());
  }

  static double medianSignMs(JwsAlgorithm algorithm, int warmups, int samples) {
    AccessTokens tokens = tokens(algorithm);
    String userId = UUID.randomUUID().toString();
    String sessionId = UUID.randomUUID().toString();
    long notAfter = System.currentTimeMillis() / 1000 + 86_400;
    double[] ms = new double[samples];
    int sink = 0;
    for (int i = 0; i < warmups + samples; i++) {
      long start = System.nanoTime();
      String token = tokens.issue(userId, sessionId, "bench-user", List.of("user"), 1, notAfter);
      long took = System.nanoTime() - start;
      sink += token.length();
      if (i >= warmups) {
        ms[i - warmups] = took / 1e6;
      }
    }
    if (sink == 0) {
      throw new IllegalStateException("no token was signed");
    }
    return median(ms);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
