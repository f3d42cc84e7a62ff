package io.latchkey.common;

import io.vertx.core.Future;

import java.util.concurrent.Callable;

/** Small bridges between plain code and futures. */
public final class Futures {

  private Futures() {
  }

  /** Runs a step inside a future, so that an exception it throws (an ApiException of a parser) fails the future instead of escaping. */
  public static <T> Future<T> attempt(Callable<T> step) {
    try {
      return Future.succeededFuture(step.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }
}
