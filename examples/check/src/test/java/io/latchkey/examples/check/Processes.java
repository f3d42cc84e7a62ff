package io.latchkey.examples.check;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/** The processes of the check: a packaged jar started with an environment of the test's choosing, its output in a file. */
final class Processes {

  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final List<String> HAZELCAST_FLAGS = List.of("--add-modules", "java.se",
    "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  record Started(String name, Process process, Path output) implements AutoCloseable {

    String transcript() {
      try {
        return "--- " + name + " ---\n" + Files.readString(output);
      } catch (IOException e) {
        return "(no output of " + name + ": " + e + ")";
      }
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      Files.deleteIfExists(output);
    }
  }

  private Processes() {
  }

  /** A jar from the system property {@code jarProperty}, which the build must have packaged. */
  static Path jar(String jarProperty) {
    Path jar = Path.of(System.getProperty(jarProperty, "(unset)"));
    if (!Files.isRegularFile(jar)) {
      fail(jarProperty + ": " + jar + " is missing; package it first (mvn -pl examples/check -am verify builds it)");
    }
    return jar;
  }

  static Started start(String name, Path jar, boolean hazelcastFlags, Map<String, String> env, String... args)
    throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    if (hazelcastFlags) {
      command.addAll(HAZELCAST_FLAGS);
    }
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.addAll(List.of(args));
    Path output = Files.createTempFile("examples-check-" + name + "-", ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    // nothing inherited that could change the outcome (keys, ports, database, profile)
    builder.environment().keySet().removeIf(v -> v.startsWith("LATCHKEY_") || v.startsWith("API_KEY")
      || v.startsWith("HAZELCAST_") || v.startsWith("USER_") || v.startsWith("AUTH_") || v.startsWith("DATABASE_")
      || v.startsWith("JWT_") || v.startsWith("BCRYPT_") || v.startsWith("SPRING_") || v.equals("PORT")
      || v.equals("PUBLIC_URL") || v.startsWith("SMTP_"));
    builder.environment().putAll(env);
    return new Started(name, builder.start(), output);
  }

  /**
   * Polls {@code url} every 100 ms until it answers {@code status}, for at most {@code boundSeconds}
   * (a bound on waiting for a start, not a timing assertion).
   */
  static void awaitStatus(Started p, String url, int status, int boundSeconds) throws Exception {
    long until = System.currentTimeMillis() + boundSeconds * 1000L;
    int last = -1;
    while (System.currentTimeMillis() < until) {
      if (!p.process().isAlive()) {
        fail(p.name() + " ended before it answered " + url + "\n" + p.transcript());
      }
      try {
        last = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
        if (last == status) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      // the next look in 100 ms: a bounded poll of a process that is starting
      java.util.concurrent.CompletableFuture.runAsync(() -> { },
        java.util.concurrent.CompletableFuture.delayedExecutor(100, java.util.concurrent.TimeUnit.MILLISECONDS)).join();
    }
    fail(p.name() + ": " + url + " never answered " + status + " (last: " + last + ")\n" + p.transcript());
  }
}
