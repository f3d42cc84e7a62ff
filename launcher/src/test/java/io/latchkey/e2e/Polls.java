package io.latchkey.e2e;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/** Bounded polls built on {@code vertx.timer}, for effects that reach another node asynchronously. */
final class Polls {

  private Polls() {
  }

  /**
   * Checks {@code condition} now, then every {@code stepMs} until it holds: succeeds with the
   * milliseconds it took, or fails once {@code boundMs} have passed without it holding.
   */
  static Future<Long> until(Vertx vertx, long boundMs, long stepMs, Supplier<Future<Boolean>> condition) {
    long start = System.nanoTime();
    return poll(vertx, start, boundMs, stepMs, condition);
  }

  private static Future<Long> poll(Vertx vertx, long start, long boundMs, long stepMs, Supplier<Future<Boolean>> condition) {
    return condition.get().compose(holds -> {
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      if (Boolean.TRUE.equals(holds)) {
        return Future.succeededFuture(elapsedMs);
      }
      if (elapsedMs >= boundMs) {
        return Future.failedFuture(new AssertionError("the condition did not hold within " + boundMs + " ms"));
      }
      return vertx.timer(stepMs).compose(t -> poll(vertx, start, boundMs, stepMs, condition));
    });
  }
}
