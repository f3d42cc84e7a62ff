package io.latchkey.common;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.latchkey.common.hash.HashLimits;
import io.latchkey.common.hash.PasswordHash;
import io.latchkey.common.hash.PasswordHashes;
import io.latchkey.common.hash.UnsupportedHashException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bcrypt off the event loop: a fixed pool of threads (default: the cores) with a bounded
 * queue. When the queue is full the returned future fails with {@code 503 overloaded} at once,
 * instead of letting latency grow without bound. Results come back on the caller's context.
 *
 * <p>It is the pool of every password computation, not only bcrypt's: {@link #verifyPassword}
 * also checks the argon2 and PBKDF2 hashes an import brought (issue 15) on the same bounded
 * threads. {@link #verifyPassword}, {@link #verifyDummy} and {@link #rehash} take the password as
 * the person typed it and apply each kind of hash's own rule (see {@link PasswordHash}): bcrypt
 * its NFKC form, never over 72 UTF-8 bytes (bcrypt would silently ignore the rest); imported
 * hashes its UTF-8 bytes as given. {@link #hash} and {@link #verify} take a password the caller
 * has already normalized and checked.
 */
public final class BcryptPool implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BcryptPool.class);

  /**
   * What a stored hash may be: bcrypt of any cost this service can be configured with (4..31),
   * or an imported hash within the import's limits (which refused anything else at import).
   */
  static final HashLimits STORED = HashLimits.defaults().withBcryptCost(4, 31);
  /** Hashed by {@link #verifyDummy} when the password has no bcrypt form, so that it costs the same work. */
  private static final String NO_BCRYPT_FORM = "a password with no bcrypt form";

  private final Vertx vertx;
  private final ThreadPoolExecutor executor;
  private final int cost;
  private final CompletableFuture<String> dummyHash;
  /** How long an operation waited in the queue before a bcrypt thread took it. */
  private final Timer waited;
  /** Operations refused because the queue was full (answered 503 overloaded). */
  private final Counter rejected;

  /** A pool whose series are kept in a registry of its own (tests and tools that read no metrics). */
  public BcryptPool(Vertx vertx, int threads, int queueCapacity, int cost) {
    this(vertx, threads, queueCapacity, cost, new SimpleMeterRegistry(), "none");
  }

  /**
   * Starts the pool. The dummy hash (a real full-cost hash of a random secret that unknown logins
   * are verified against, so that they cost the same bcrypt work as a wrong password) is made on
   * a thread of its own at the pool's low priority: nothing on the start path waits for it, and
   * it takes none of the pool's threads or queue places. A {@link #verifyDummy} that arrives
   * before it is done waits for it on its bcrypt thread.
   */
  public BcryptPool(Vertx vertx, int threads, int queueCapacity, int cost, MeterRegistry metrics, String service) {
    checkedCost(cost);
    this.vertx = vertx;
    this.cost = cost;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
      new ArrayBlockingQueue<>(queueCapacity), r -> {
        Thread t = new Thread(r, "bcrypt-" + n.incrementAndGet());
        t.setDaemon(true);
        // bcrypt yields the CPU to the event loops when the JVM maps priorities to nice values
        // (-XX:ThreadPriorityPolicy=1, see scripts/lib/latchkey.sh); without that flag Java
        // priorities are ignored on Linux
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
      }, new ThreadPoolExecutor.AbortPolicy());
    this.dummyHash = new CompletableFuture<>();
    Thread dummy = new Thread(() -> dummyHash.complete(new String(BCrypt.withDefaults().hash(cost,
      java.util.UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8)), "bcrypt-dummy-hash");
    dummy.setDaemon(true);
    dummy.setPriority(Thread.MIN_PRIORITY);
    dummy.start();
    // the service label tells the two pools apart when one process runs both services
    Gauge.builder("latchkey.bcrypt.queue.depth", executor, e -> e.getQueue().size()).tag("service", service)
      .description("bcrypt operations waiting for a thread (beyond the capacity: 503 overloaded)").register(metrics);
    Gauge.builder("latchkey.bcrypt.queue.capacity", () -> queueCapacity).tag("service", service)
      .description("places in the bcrypt queue (BCRYPT_QUEUE)").register(metrics);
    Gauge.builder("latchkey.bcrypt.active", executor, ThreadPoolExecutor::getActiveCount).tag("service", service)
      .description("bcrypt threads busy hashing or verifying").register(metrics);
    this.waited = Timer.builder("latchkey.bcrypt.wait").tag("service", service)
      .description("time a bcrypt operation waited in the queue before a thread took it")
      .serviceLevelObjectives(WAIT_BUCKETS)
      .register(metrics);
    this.rejected = Counter.builder("latchkey.bcrypt.rejected").tag("service", service)
      .description("bcrypt operations refused because the queue was full (503 overloaded)").register(metrics);
  }

  /** Histogram buckets of the queue wait: a verification at cost 12 takes ~0.27 s on one core. */
  private static final Duration[] WAIT_BUCKETS = java.util.stream.LongStream
    .of(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

  private static int checkedCost(int cost) {
    if (cost < 4 || cost > 31) {
      throw new IllegalArgumentException("bcrypt cost must be 4..31");
    }
    return cost;
  }

  public int cost() {
    return cost;
  }

  public int threads() {
    return executor.getMaximumPoolSize();
  }

  /** Hashes with this pool's cost ($2a$). */
  public Future<String> hash(String password) {
    return submit(() -> new String(BCrypt.withDefaults().hash(cost, password.getBytes(StandardCharsets.UTF_8)),
      StandardCharsets.UTF_8));
  }

  /** True when the password matches the bcrypt hash ($2a$, $2b$ or $2y$); false for a malformed hash. */
  public Future<Boolean> verify(String password, String hash) {
    return submit(() -> verifyNow(password, hash));
  }

  /**
   * The same work as verifying a wrong password against a bcrypt hash of this pool's cost, whatever
   * the password (one with no bcrypt form, say over 72 bytes, costs it too); always false.
   */
  public Future<Boolean> verifyDummy(String password) {
    String input = PasswordHashes.bcryptInput(password).orElse(NO_BCRYPT_FORM);
    return submit(() -> {
      verifyNow(input, dummyHash.join());
      return false;
    });
  }

  /**
   * True when {@code password}, as the person typed it, matches the stored hash {@code encoded}:
   * bcrypt (ours) or an imported argon2 or PBKDF2 hash, each checked by its own rule (class
   * comment). A password that can never match a bcrypt hash costs {@link #verifyDummy}'s work; so
   * does a stored hash this service cannot read, which is logged (without the hash) and never
   * matches.
   */
  public Future<Boolean> verifyPassword(String password, String encoded) {
    PasswordHash hash = stored(encoded);
    if (hash == null || (hash.isBcrypt() && PasswordHashes.bcryptInput(password).isEmpty())) {
      return verifyDummy(password);
    }
    return submit(() -> hash.verify(password));
  }

  /**
   * True when a stored hash should be replaced by bcrypt at this pool's cost after a successful
   * login: it is an imported argon2 or PBKDF2 hash, or bcrypt of another cost. Cheap (no hashing).
   */
  public boolean needsRehash(String encoded) {
    PasswordHash hash = stored(encoded);
    return hash != null && !hash.isBcryptWithCost(cost);
  }

  /**
   * A bcrypt hash at this pool's cost of {@code password} as the person typed it (its NFKC form),
   * to replace a hash {@link #needsRehash} named; empty when the password has no bcrypt form (over
   * 72 bytes, say: Keycloak took such passwords), and the old hash must then stay.
   */
  public Future<Optional<String>> rehash(String password) {
    Optional<String> input = PasswordHashes.bcryptInput(password);
    return input.isEmpty() ? Future.succeededFuture(Optional.empty()) : hash(input.get()).map(Optional::of);
  }

  private static PasswordHash stored(String encoded) {
    try {
      return PasswordHashes.parse(encoded, STORED);
    } catch (UnsupportedHashException e) {
      LOG.error("a stored password hash cannot be read ({}): it never matches", e.code());
      return null;
    }
  }

  /** The dummy hash once computed (tests: it has this pool's cost). */
  Future<String> dummyHash() {
    return Future.fromCompletionStage(dummyHash);
  }

  private static boolean verifyNow(String password, String hash) {
    if (hash == null) {
      return false;
    }
    try {
      return BCrypt.verifyer().verify(password.getBytes(StandardCharsets.UTF_8), hash.getBytes(StandardCharsets.UTF_8)).verified;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private <T> Future<T> submit(Callable<T> work) {
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    long queuedAt = System.nanoTime();
    try {
      executor.execute(() -> {
        waited.record(System.nanoTime() - queuedAt, TimeUnit.NANOSECONDS);
        try {
          T result = work.call();
          context.runOnContext(v -> promise.complete(result));
        } catch (Throwable e) {
          context.runOnContext(v -> promise.fail(e));
        }
      });
    } catch (RejectedExecutionException e) {
      rejected.increment();
      return Future.failedFuture(ApiException.overloaded());
    }
    return promise.future();
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
