import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, bounded load generator for scripts/cluster-test.sh (run as a single source file:
 * {@code java scripts/lib/ClusterLoad.java ...}; needs nothing but the JDK).
 *
 * <p>Each worker thread owns a few users and their sessions and loops over a mix of requests to
 * the auth service (through the balancer): refreshes (45 %), token validations (40 %) and logins
 * (15 %). Every request is recorded; a failure is any answer other than 200 (or a validation
 * saying {@code "valid": false}, or no answer). A refresh that got no answer is retried once at
 * once with the same token, as a client would after a lost response (the service's grace
 * returns the same successor); a request whose connection the balancer closed before any byte
 * of an answer is resent once (counted); a session whose refresh state stays unknown is counted as
 * uncertain. At the end, every session whose last refresh completed is refreshed once more:
 * each of those must still work.
 *
 * <pre>
 * java ClusterLoad.java --auth URL --key API_KEY --users FILE --threads N
 *      (--seconds S | --until-file PATH --max-seconds S)
 * </pre>
 * FILE holds one "login password" per line. Prints {@code key=value} lines (epoch milliseconds
 * for times) followed by up to 15 failures; exit status 0 when it ran (the caller judges).
 */
public final class ClusterLoad {

  private static final Pattern ACCESS = Pattern.compile("\"accessToken\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern REFRESH = Pattern.compile("\"refreshToken\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern VALID_TRUE = Pattern.compile("\"valid\"\\s*:\\s*true");
  private static final int SESSIONS_PER_THREAD = 4;

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(3)).build();
  private final String auth;
  private final String apiKey;

  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong firstFailure = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastFailure = new AtomicLong(0);
  private final AtomicLong firstFailureAnswered = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong maxLatency = new AtomicLong(0);
  private final AtomicInteger recoveredRefreshes = new AtomicInteger();
  private final AtomicInteger resent = new AtomicInteger();
  private final Map<String, AtomicInteger> failuresByKind = Collections.synchronizedMap(new TreeMap<>());
  private final List<String> failureSamples = Collections.synchronizedList(new ArrayList<>());

  private ClusterLoad(String auth, String apiKey) {
    this.auth = auth;
    this.apiKey = apiKey;
  }

  /** One session: its latest tokens, and whether its refresh chain is known (certain) or not. */
  private static final class Session {
    final String login;
    String access;
    String refresh;
    boolean uncertain;

    Session(String login, String access, String refresh) {
      this.login = login;
      this.access = access;
      this.refresh = refresh;
    }
  }

  private record Answer(int status, String body, long startedAt, long endedAt) {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    if (!opts.containsKey("--auth") || !opts.containsKey("--users") || !opts.containsKey("--key")) {
      System.err.println("usage: java ClusterLoad.java --auth URL --key API_KEY --users FILE --threads N (--seconds S | --until-file PATH --max-seconds S)");
      System.exit(2);
    }
    List<String[]> users = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(opts.get("--users")))) {
      String[] parts = line.trim().split(" ", 2);
      if (parts.length == 2) {
        users.add(parts);
      }
    }
    int threads = Integer.parseInt(opts.getOrDefault("--threads", "6"));
    long start = System.currentTimeMillis();
    long deadline = opts.containsKey("--seconds")
      ? start + Long.parseLong(opts.get("--seconds")) * 1000
      : start + Long.parseLong(opts.getOrDefault("--max-seconds", "240")) * 1000;
    Path untilFile = opts.containsKey("--until-file") ? Path.of(opts.get("--until-file")) : null;
    if (opts.containsKey("--started-file")) {
      // the caller waits for this instead of guessing how long the source launcher takes to compile
      Files.writeString(Path.of(opts.get("--started-file")), String.valueOf(start));
    }
    new ClusterLoad(opts.get("--auth"), opts.get("--key")).run(users, threads, start, deadline, untilFile);
  }

  private void run(List<String[]> users, int threads, long start, long deadline, Path untilFile) throws Exception {
    List<List<Session>> sessionsByThread = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<String[]> mine = new ArrayList<>();
      for (int u = t; u < users.size(); u += threads) {
        mine.add(users.get(u));
      }
      List<Session> sessions = new ArrayList<>();
      sessionsByThread.add(sessions);
      Thread worker = new Thread(() -> work(mine, sessions, deadline, untilFile), "load-" + t);
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    long end = System.currentTimeMillis();

    // every session whose refresh chain is known must still refresh on the nodes that are left
    int checked = 0;
    int finalOk = 0;
    int uncertain = 0;
    List<String> finalFailures = new ArrayList<>();
    for (List<Session> sessions : sessionsByThread) {
      for (Session session : sessions) {
        if (session.uncertain) {
          uncertain++;
          continue;
        }
        checked++;
        Answer answer = post("/auth/refresh", "{\"refreshToken\":\"" + session.refresh + "\"}", false);
        if (answer.status == 200) {
          finalOk++;
        } else if (finalFailures.size() < 10) {
          finalFailures.add("final refresh of a session of " + session.login + ": " + answer.status + " " + shorten(answer.body));
        }
      }
    }

    System.out.println("started_ms=" + start);
    System.out.println("ended_ms=" + end);
    System.out.println("requests=" + requests.get());
    System.out.println("failures=" + failures.get());
    System.out.println("first_failure_ms=" + (failures.get() == 0 ? 0 : firstFailure.get()));
    System.out.println("last_failure_ms=" + lastFailure.get());
    System.out.println("first_failure_answered_ms=" + (failures.get() == 0 ? 0 : firstFailureAnswered.get()));
    System.out.println("max_latency_ms=" + maxLatency.get());
    System.out.println("recovered_refreshes=" + recoveredRefreshes.get());
    System.out.println("resent_after_closed_connection=" + resent.get());
    System.out.println("sessions_checked=" + checked);
    System.out.println("sessions_final_ok=" + finalOk);
    System.out.println("sessions_uncertain=" + uncertain);
    synchronized (failuresByKind) {
      System.out.println("failures_by_kind=" + failuresByKind);
    }
    for (String f : finalFailures) {
      System.out.println("final_failure: " + f);
    }
    synchronized (failureSamples) {
      for (String f : failureSamples) {
        System.out.println("failure: " + f);
      }
    }
  }

  private void work(List<String[]> users, List<Session> sessions, long deadline, Path untilFile) {
    if (users.isEmpty()) {
      return;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (System.currentTimeMillis() < deadline && (untilFile == null || !Files.exists(untilFile))) {
      int dice = random.nextInt(100);
      List<Session> certain = sessions.stream().filter(s -> !s.uncertain).toList();
      if (certain.isEmpty() || dice < 15) {
        login(users.get(random.nextInt(users.size())), sessions);
      } else if (dice < 60) {
        refresh(certain.get(random.nextInt(certain.size())));
      } else {
        validate(certain.get(random.nextInt(certain.size())));
      }
    }
  }

  private void login(String[] user, List<Session> sessions) {
    Answer answer = post("/auth/login", "{\"login\":\"" + user[0] + "\",\"password\":\"" + user[1] + "\"}", false);
    if (record("login", answer, answer.status == 200)) {
      Session session = new Session(user[0], group(ACCESS, answer.body), group(REFRESH, answer.body));
      synchronized (sessions) {
        sessions.add(session);
        // keep a few sessions per thread; the oldest certain one leaves the rotation (it stays valid)
        if (sessions.size() > SESSIONS_PER_THREAD * 3) {
          sessions.remove(0);
        }
      }
    }
  }

  private void refresh(Session session) {
    String body = "{\"refreshToken\":\"" + session.refresh + "\"}";
    Answer answer = post("/auth/refresh", body, false);
    if (record("refresh", answer, answer.status == 200)) {
      update(session, answer);
      return;
    }
    if (answer.status == 0 || answer.status == 502 || answer.status == 504) {
      // no answer (lost with a node): retry at once with the same token, as a client would
      Answer retry = post("/auth/refresh", body, false);
      if (record("refresh-retry", retry, retry.status == 200)) {
        recoveredRefreshes.incrementAndGet();
        update(session, retry);
        return;
      }
    }
    session.uncertain = true;
  }

  private void validate(Session session) {
    Answer answer = post("/auth/validate-token", "{\"token\":\"" + session.access + "\"}", true);
    record("validate", answer, answer.status == 200 && VALID_TRUE.matcher(answer.body).find());
  }

  private static void update(Session session, Answer answer) {
    session.access = group(ACCESS, answer.body);
    session.refresh = group(REFRESH, answer.body);
  }

  private boolean record(String kind, Answer answer, boolean ok) {
    requests.incrementAndGet();
    maxLatency.accumulateAndGet(answer.endedAt - answer.startedAt, Math::max);
    if (!ok) {
      failures.incrementAndGet();
      firstFailure.accumulateAndGet(answer.startedAt, Math::min);
      lastFailure.accumulateAndGet(answer.endedAt, Math::max);
      firstFailureAnswered.accumulateAndGet(answer.endedAt, Math::min);
      failuresByKind.computeIfAbsent(kind + ":" + answer.status, k -> new AtomicInteger()).incrementAndGet();
      if (failureSamples.size() < 15) {
        failureSamples.add(kind + " sent at " + answer.startedAt + " answered at " + answer.endedAt + ": " + answer.status + " "
          + shorten(answer.body));
      }
    }
    return ok;
  }

  private Answer post(String path, String json, boolean withKey) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(auth + path))
      .timeout(Duration.ofSeconds(10))
      .header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(json));
    if (withKey) {
      request.header("X-API-Key", apiKey);
    }
    long started = System.currentTimeMillis();
    try {
      try {
        return answer(http.send(request.build(), HttpResponse.BodyHandlers.ofString()), started);
      } catch (IOException closedBeforeAnAnswer) {
        // The balancer closed the connection before any byte of an answer: nginx does that to
        // idle keep-alive connections when a reload retires its old workers, racing a request
        // just sent. A client resends such a request once (RFC 9112, 9.3.1); ours are safe to
        // resend: a login opens one more session, a validation reads, and a refresh presented
        // again within the grace returns the same successor. Counted, and printed by the test.
        resent.incrementAndGet();
        return answer(http.send(request.build(), HttpResponse.BodyHandlers.ofString()), started);
      }
    } catch (IOException e) {
      return new Answer(0, e.getClass().getSimpleName() + ": " + e.getMessage(), started, System.currentTimeMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(0, "interrupted", started, System.currentTimeMillis());
    }
  }

  private static Answer answer(HttpResponse<String> response, long started) {
    return new Answer(response.statusCode(), response.body(), started, System.currentTimeMillis());
  }

  private static String group(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no " + pattern.pattern() + " in " + shorten(text));
    }
    return m.group(1);
  }

  private static String shorten(String text) {
    String oneLine = text == null ? "" : text.replace('\n', ' ');
    return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
  }
}
