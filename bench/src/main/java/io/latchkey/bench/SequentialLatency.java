package io.latchkey.bench;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The latency of one request at a time, as an admin sees it: GETs the URLs of a file (one a
 * line, cycled) one after the other with the internal key ({@code BENCH_API_KEY}) on one
 * keep-alive connection, and prints one JSON record ({@code kind: "sequential"}) with the
 * nearest-rank p50 and p99 of the answers' times, their maximum and how many there were.
 * scripts/bench.sh measures searches and by-email lookups at scale with it (wrk runs for a
 * duration, not for a number of requests).
 *
 * <p>Each answer is checked: a non-2xx, a 2xx whose body is not the expected one, or a request
 * that failed (socket error, timeout) is counted, and BenchReport reports errors instead of the
 * figures. With an expected item count, a 2xx body must be a JSON object whose {@code items}
 * array has exactly that many entries (a search page).
 *
 * <p>{@code warmup} answers are taken first and not recorded (the first request of a freshly
 * started service pays for class loading and a cold plan). No new request starts after
 * {@code maxSeconds}; the record then says how many were measured ({@code n} below {@code count}).
 *
 * <pre>java -cp latchkey-bench.jar io.latchkey.bench.SequentialLatency &lt;scenario&gt; &lt;count&gt; &lt;warmup&gt; &lt;maxSeconds&gt; &lt;urls file&gt; [expected items]</pre>
 */
public final class SequentialLatency {

  private SequentialLatency() {
  }

  /** One answer: its time, its status (0: the request failed), and whether it was the expected one ({@code problem} null) or what was wrong. */
  record Answer(long micros, int status, String problem) {
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 5 || args.length > 6) {
      System.err.println("usage: SequentialLatency <scenario> <count> <warmup> <maxSeconds> <urls file> [expected items]");
      System.exit(2);
    }
    String scenario = args[0];
    int count = Integer.parseInt(args[1]);
    int warmup = Integer.parseInt(args[2]);
    long maxNanos = Duration.ofSeconds(Long.parseLong(args[3])).toNanos();
    List<URI> urls = Files.readAllLines(Path.of(args[4]), StandardCharsets.UTF_8).stream()
      .map(String::trim).filter(line -> !line.isEmpty()).map(URI::create).toList();
    Integer expectedItems = args.length == 6 ? Integer.valueOf(args[5]) : null;
    if (urls.isEmpty()) {
      System.err.println("SequentialLatency: no URL in " + args[4]);
      System.exit(2);
    }
    String key = System.getenv("BENCH_API_KEY");

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
    for (int i = 0; i < warmup; i++) {
      send(client, urls.get(i % urls.size()), key, expectedItems);
    }
    List<Answer> answers = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < count && System.nanoTime() - start < maxNanos; i++) {
      answers.add(send(client, urls.get((warmup + i) % urls.size()), key, expectedItems));
    }
    long elapsed = System.nanoTime() - start;
    System.out.println(record(scenario, count, answers, elapsed / 1000).encode());
  }

  private static Answer send(HttpClient client, URI url, String key, Integer expectedItems) throws InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).GET();
    if (key != null && !key.isEmpty()) {
      request.header("X-API-Key", key);
    }
    long sent = System.nanoTime();
    try {
      HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      long micros = (System.nanoTime() - sent) / 1000;
      return new Answer(micros, response.statusCode(), problem(response.statusCode(), response.body(), expectedItems));
    } catch (IOException e) {
      return new Answer((System.nanoTime() - sent) / 1000, 0, "failed: " + e.getClass().getSimpleName());
    }
  }

  /** What is wrong with an answer, or null when it is the expected one. */
  static String problem(int status, String body, Integer expectedItems) {
    if (status < 200 || status > 299) {
      return "status " + status;
    }
    if (expectedItems == null) {
      return null;
    }
    try {
      JsonArray items = new JsonObject(body).getJsonArray("items");
      if (items == null) {
        return "body without items";
      }
      return items.size() == expectedItems ? null : items.size() + " items, " + expectedItems + " expected";
    } catch (DecodeException | ClassCastException e) {
      return "body not a JSON object";
    }
  }

  /**
   * The record of a measurement: nearest-rank percentiles of the answers' times, and counts of what
   * went wrong in the fields of a wrk record (so that {@link BenchReport#errors} judges both alike).
   */
  static JsonObject record(String scenario, int count, List<Answer> answers, long durationUs) {
    long[] sorted = answers.stream().mapToLong(Answer::micros).sorted().toArray();
    long failed = answers.stream().filter(a -> a.status() == 0).count();
    long non2xx = answers.stream().filter(a -> a.status() != 0 && (a.status() < 200 || a.status() > 299)).count();
    long badBody = answers.stream().filter(a -> a.problem() != null).count() - non2xx - failed;
    JsonObject statuses = new JsonObject();
    answers.stream().filter(a -> a.status() != 0)
      .forEach(a -> statuses.put(String.valueOf(a.status()), statuses.getLong(String.valueOf(a.status()), 0L) + 1));
    JsonObject out = new JsonObject().put("kind", "sequential").put("scenario", scenario)
      .put("count", count).put("n", answers.size()).put("requests", answers.size()).put("durationUs", durationUs)
      .put("p50Us", percentile(sorted, 50)).put("p99Us", percentile(sorted, 99))
      .put("maxUs", sorted.length == 0 ? null : sorted[sorted.length - 1])
      .put("non2xx", non2xx).put("badBody", badBody).put("failed", failed).put("statuses", statuses);
    answers.stream().map(Answer::problem).filter(p -> p != null).findFirst().ifPresent(p -> out.put("firstProblem", p));
    return out;
  }

  /** The nearest-rank percentile: the smallest value with at least p % of the values at or below it; null without values. */
  static Long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return null;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }
}
