package io.latchkey.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.latchkey.common.testing.TestNodes;

/**
 * The packaged launcher ({@code target/latchkey.jar}) as a real process, the way run.sh starts
 * it, with an environment of the test's choosing (nothing inherited that could change the
 * outcome: no API keys, no database, no ports) and its own Hazelcast cluster.
 */
final class LauncherProcess implements AutoCloseable {

  static final Path JAR = Path.of(System.getProperty("latchkey.jar", "target/latchkey.jar"));
  static final Path CONF_DIR = Path.of(System.getProperty("latchkey.conf.dir", "../conf"));
  private static final List<String> HAZELCAST_FLAGS = List.of("--add-modules", "java.se",
    "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  final Process process;
  final Path stdout;
  final Path stderr;

  private LauncherProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** An environment for a node of a private cluster: its own cluster name and Hazelcast port. */
  static Map<String, String> isolatedCluster() {
    int port = TestNodes.freePort();
    return Map.of("HAZELCAST_CLUSTER_NAME", "it-" + UUID.randomUUID(),
      "HAZELCAST_PORT", String.valueOf(port),
      "HAZELCAST_MEMBERS", "127.0.0.1:" + port);
  }

  static LauncherProcess start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.addAll(HAZELCAST_FLAGS);
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    Path out = Files.createTempFile("latchkey-it-", ".out");
    Path err = Files.createTempFile("latchkey-it-", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    Map<String, String> childEnv = builder.environment();
    childEnv.keySet().removeIf(name -> name.startsWith("LATCHKEY_") || name.startsWith("API_KEY")
      || name.startsWith("HAZELCAST_") || name.startsWith("USER_") || name.startsWith("AUTH_")
      || name.startsWith("DATABASE_") || name.startsWith("JWT_") || name.startsWith("BCRYPT_") || name.startsWith("MANAGEMENT_"));
    childEnv.put("LATCHKEY_CONF_DIR", CONF_DIR.toAbsolutePath().toString());
    // any free port for /metrics: the defaults (9181, 9182) may be a development run's on this host
    childEnv.put("MANAGEMENT_PORT", "0");
    childEnv.putAll(env);
    return new LauncherProcess(builder.start(), out, err);
  }

  /** Waits (bounded) for the process to end and returns its exit status. */
  int exitStatus(long timeoutSeconds) throws Exception {
    return process.onExit().get(timeoutSeconds, TimeUnit.SECONDS).exitValue();
  }

  String out() throws IOException {
    return Files.readString(stdout);
  }

  String err() throws IOException {
    return Files.readString(stderr);
  }

  /** stdout and stderr, for failure messages. */
  String transcript() {
    try {
      return "--- stdout ---\n" + out() + "--- stderr ---\n" + err();
    } catch (IOException e) {
      return "(no transcript: " + e + ")";
    }
  }

  /** The lines of both streams. */
  List<String> lines() throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(stdout));
    lines.addAll(Files.readAllLines(stderr));
    return lines;
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroyForcibly().onExit().get(30, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(stdout);
    Files.deleteIfExists(stderr);
  }
}
