package io.latchkey.user;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.UserServiceFixture.FULL_KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * 100,000 generated lines (~13 MB) import in one request, with flat memory: the client generates
 * the body as it is sent (honouring back-pressure, so the test holds none of it), and a sampler
 * forces a collection every 250 ms during the import and reads the live heap, which must stay
 * within a bound far below what holding the body, or its users, would take. The figures are printed
 * (docs/BENCHMARKS.md takes them from there).
 */
@UserServiceTest
class ImportVolumeTest {

  private static final int LINES = 100_000;
  private static final int LINES_PER_CHUNK = 200;
  /**
   * Bound on the live heap's growth during the import: measured ~2.5 MiB (one batch, the answer's
   * state, the pools' buffers); the body alone is ~13 MB, so an import that held it fails here.
   */
  private static final long MAX_GROWTH_BYTES = 8L * 1024 * 1024;

  private final UserServiceFixture f;

  ImportVolumeTest(UserServiceFixture f) {
    this.f = f;
  }

  @Test
  void aHundredThousandLinesImportWithFlatMemory() throws InterruptedException {
    // one precomputed bcrypt hash repeated (each line's hash is parsed, none is computed)
    String hash = new String(BCrypt.withDefaults().hash(4, "bulk password".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long baseline = memory.getHeapMemoryUsage().getUsed();
    AtomicLong peak = new AtomicLong(baseline);
    AtomicLong samples = new AtomicLong();
    // a collection forced every 250 ms, then the live heap read (a scheduler, not a sleep)
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "heap-sampler"));

    HttpClient client = f.vertx.createHttpClient();
    long started = System.nanoTime();
    sampler.scheduleAtFixedRate(() -> {
      System.gc();
      peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
      samples.incrementAndGet();
    }, 0, 250, TimeUnit.MILLISECONDS);
    JsonObject summary;
    try {
      summary = await(client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
          .setPort(f.module.httpPort()).setURI(ImportApiTest.PATH)
          .putHeader("Content-Type", "application/x-ndjson").putHeader("X-API-Key", FULL_KEY))
        .compose(request -> {
          request.setChunked(true);
          Promise<Void> sent = Promise.promise();
          write(request, hash, 0, sent);
          return sent.future().compose(v -> request.response());
        })
        .compose(HttpClientResponse::body)
        .map(Buffer::toJsonObject), 600);
    } finally {
      sampler.shutdownNow();
      sampler.awaitTermination(10, TimeUnit.SECONDS);
      client.close();
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    long growth = peak.get() - baseline;
    System.out.printf("import of %,d lines: %,d ms (%,d lines/s); live heap baseline %,d KiB, peak %,d KiB (+%,d KiB) over %d samples%n",
      LINES, millis, LINES * 1000L / Math.max(1, millis), baseline / 1024, peak.get() / 1024, growth / 1024, samples.get());

    assertThat(summary.getLong("created")).as(summary.encode()).isEqualTo(LINES);
    assertThat(summary.getLong("errorCount")).isZero();
    assertThat(f.rows("SELECT count(*) AS n FROM users.users WHERE username LIKE 'bulk%'").get(0).get("n")).isEqualTo((long) LINES);
    assertThat(samples.get()).as("heap samples taken during the import").isGreaterThan(2);
    assertThat(growth).as("live heap growth during the import").isLessThan(MAX_GROWTH_BYTES);
  }

  /** Writes the lines from {@code from} on, a chunk at a time, waiting for the connection to drain when it is full. */
  private static void write(HttpClientRequest request, String hash, int from, Promise<Void> sent) {
    int next = from;
    while (next < LINES) {
      Buffer chunk = Buffer.buffer(LINES_PER_CHUNK * 140);
      for (int i = next; i < Math.min(LINES, next + LINES_PER_CHUNK); i++) {
        chunk.appendString(new JsonObject().put("username", "bulk" + i).put("email", "bulk" + i + "@example.com")
          .put("passwordHash", hash).encode()).appendString("\n");
      }
      next += LINES_PER_CHUNK;
      request.write(chunk);
      if (request.writeQueueFull()) {
        int resumeAt = next;
        request.drainHandler(v -> write(request, hash, resumeAt, sent));
        return;
      }
    }
    request.end().onComplete(sent);
  }
}
