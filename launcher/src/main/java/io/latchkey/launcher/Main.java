package io.latchkey.launcher;

import io.latchkey.launcher.keycloak.KeycloakImport;
import io.latchkey.launcher.keycloak.UserServiceClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code java -jar latchkey.jar run --role user|auth|all [--instances N]} and
 * {@code java -jar latchkey.jar keygen <dir>} and
 * {@code java -jar latchkey.jar import-keycloak <realm-export.json> --user-service <url>}
 * ({@link KeycloakImport}: its own exit statuses, 3 when some users were errors).
 *
 * <p>Exit status: 0 after a graceful stop, 1 when the start failed (database unreachable, port
 * taken, no cluster, ...), 2 for a bad command line or invalid configuration. Every failure is
 * ONE line naming the problem; its stack trace is logged at DEBUG only
 * ({@code LATCHKEY_LOG_LEVEL=DEBUG}).
 */
public final class Main {

  static final int EXIT_STARTUP_FAILED = 1;
  static final int EXIT_USAGE = 2;
  /** run: the node is up, the JVM stays alive on Vert.x's threads until a signal. */
  static final int KEEP_RUNNING = -1;
  static final long START_TIMEOUT_SECONDS = 120;
  /** What conf/logback.xml picks its appenders by: {@code text} or {@code json}. */
  static final String LOG_FORMAT_PROPERTY = "LOG_FORMAT";

  private final Map<String, String> env;

  Main(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    int status = new Main(System.getenv()).execute(args);
    if (status != KEEP_RUNNING) {
      System.exit(status);
    }
  }

  int execute(String[] args) {
    LaunchCommand command;
    try {
      command = CommandLine.parse(args, env, Runtime.getRuntime().availableProcessors());
    } catch (UsageException e) {
      System.err.println("latchkey: " + e.getMessage() + " (java -jar latchkey.jar help shows the usage)");
      return EXIT_USAGE;
    }
    if (command instanceof LaunchCommand.Help) {
      System.out.println(CommandLine.USAGE);
      return 0;
    }
    if (command instanceof LaunchCommand.Keygen keygen) {
      return keygen(keygen);
    }
    if (command instanceof LaunchCommand.ImportKeycloak importKeycloak) {
      configureLogging(Path.of(env.getOrDefault("LATCHKEY_CONF_DIR", "conf")), LogFormat.TEXT);
      return new KeycloakImport(new UserServiceClient(importKeycloak.userService(), importKeycloak.apiKey()), KeycloakImport.CHUNK,
        System.out, System.err).run(importKeycloak.export());
    }
    return run(((LaunchCommand.Run) command).options());
  }

  private int keygen(LaunchCommand.Keygen keygen) {
    configureLogging(Path.of(env.getOrDefault("LATCHKEY_CONF_DIR", "conf")), keygen.logFormat());
    Path directory = keygen.directory();
    try {
      io.latchkey.auth.token.JwtKeys.generateDevelopmentKeys(keygen.algorithm(), directory);
      System.out.println("latchkey: " + keygen.algorithm().wireName() + " JWT keys in " + directory.toAbsolutePath()
        + " (" + keygen.algorithm().privateFile() + ", " + keygen.algorithm().publicFile() + ")");
      return 0;
    } catch (Exception e) {
      System.err.println("latchkey: cannot write keys to " + directory + ": " + e.getMessage());
      return EXIT_STARTUP_FAILED;
    }
  }

  private int run(RunOptions options) {
    configureLogging(options.confDir(), options.logFormat());
    Logger log = LoggerFactory.getLogger(Main.class);
    LaunchConfiguration config;
    try {
      config = LaunchConfiguration.load(options, env);
    } catch (RuntimeException e) {
      log.error("cannot start: invalid configuration: {}", oneLine(e));
      log.debug("configuration failure", e);
      return EXIT_USAGE;
    }
    if (config.keys().usesDevelopmentKey()) {
      log.warn("using the development API key (see README); set API_KEYS for anything but a local run");
    }
    log.info("starting {} (role {}, {} instance(s) per service, profile {}, conf {})", config.serviceNames(),
      options.role().wire(), options.instances(), options.profile().name().toLowerCase(Locale.ROOT),
      options.confDir().toAbsolutePath());

    LatchkeyNode node = new LatchkeyNode(config);
    Thread hook = new Thread(() -> stopGracefully(node, options, log), "latchkey-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      node.start().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      log.info("{}", node.readyLine());
      return KEEP_RUNNING;
    } catch (ExecutionException e) {
      return startFailed(node, hook, log, StartupFailures.describe(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      return startFailed(node, hook, log, "the start did not finish within " + START_TIMEOUT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return startFailed(node, hook, log, "interrupted while starting", e);
    }
  }

  private static int startFailed(LatchkeyNode node, Thread hook, Logger log, String line, Throwable cause) {
    log.error("cannot start: {}", line);
    log.debug("startup failure", cause);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      return EXIT_STARTUP_FAILED;
    }
    try {
      // leave the cluster cleanly even when the start failed half-way
      node.stop(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("closing after a failed start", e);
    }
    return EXIT_STARTUP_FAILED;
  }

  /** The shutdown hook (SIGTERM, SIGINT): readiness DOWN, drain, undeploy, leave the cluster, bounded. */
  private static void stopGracefully(LatchkeyNode node, RunOptions options, Logger log) {
    log.info("stopping: readiness is DOWN; draining for {} s, then the services stop and the node leaves the cluster",
      options.drainSeconds());
    try {
      node.stop(options.drainSeconds() * 1000L).toCompletionStage().toCompletableFuture()
        .get(options.shutdownTimeoutSeconds(), TimeUnit.SECONDS);
      log.info("stopped: node {} left the cluster", node.nodeId());
    } catch (TimeoutException e) {
      log.warn("the graceful stop did not finish within {} s (LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS); exiting anyway",
        options.shutdownTimeoutSeconds());
    } catch (ExecutionException e) {
      log.warn("the graceful stop failed: {}", oneLine(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Points logback at {@code <confDir>/logback.xml} (unless -Dlogback.configurationFile says
   * otherwise) and Hazelcast at SLF4J, and hands logback the validated LOG_FORMAT (a system
   * property, which logback's {@code ${LOG_FORMAT}} reads before the environment). Must run
   * before the first logger is created.
   */
  static void configureLogging(Path confDir, LogFormat format) {
    System.setProperty(LOG_FORMAT_PROPERTY, format.wire());
    Path file = confDir.resolve("logback.xml");
    if (System.getProperty("logback.configurationFile") == null && Files.isRegularFile(file)) {
      System.setProperty("logback.configurationFile", file.toAbsolutePath().toString());
    }
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
  }

  private static String oneLine(Throwable e) {
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = text.indexOf('\n');
    return newline >= 0 ? text.substring(0, newline) : text;
  }
}
