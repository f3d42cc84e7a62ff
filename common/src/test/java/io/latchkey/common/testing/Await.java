package io.latchkey.common.testing;

import io.vertx.core.Future;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Waiting on futures from the test thread (never an event loop), with a bound. */
public final class Await {

  private Await() {
  }

  public static <T> T await(Future<T> future) {
    return await(future, 30);
  }

  public static <T> T await(Future<T> future, int seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the future failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the future did not complete within " + seconds + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The failure of a future that must fail. */
  public static Throwable failure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException | InterruptedException e) {
      throw new AssertionError("the future did not complete", e);
    }
    throw new AssertionError("the future succeeded but was expected to fail");
  }

  /**
   * Polls {@code condition} (itself asynchronous) every 10 ms through a Vert.x timer until it
   * holds or {@code boundMs} passes; returns whether it held.
   */
  public static boolean until(io.vertx.core.Vertx vertx, Supplier<Future<Boolean>> condition, long boundMs) {
    long deadline = System.currentTimeMillis() + boundMs;
    while (true) {
      if (Boolean.TRUE.equals(await(condition.get()))) {
        return true;
      }
      if (System.currentTimeMillis() > deadline) {
        return false;
      }
      await(vertx.timer(10));
    }
  }
}
