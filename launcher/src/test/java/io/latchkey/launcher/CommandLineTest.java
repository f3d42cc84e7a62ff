package io.latchkey.launcher;

import io.latchkey.auth.token.JwsAlgorithm;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandLineTest {

  private static final Map<String, String> NO_ENV = Map.of();

  private static RunOptions run(Map<String, String> env, String... args) {
    LaunchCommand command = CommandLine.parse(args, env, 4);
    assertThat(command).isInstanceOf(LaunchCommand.Run.class);
    return ((LaunchCommand.Run) command).options();
  }

  @Test
  void runWithRoleUsesTheDefaultsOfTheLauncher() {
    RunOptions options = run(NO_ENV, "run", "--role", "user");
    assertThat(options.role()).isEqualTo(Role.USER);
    assertThat(options.instances()).as("default instances = cores").isEqualTo(4);
    assertThat(options.confDir()).isEqualTo(Path.of("conf"));
    assertThat(options.production()).isFalse();
    assertThat(options.drainSeconds()).isEqualTo(2);
    assertThat(options.shutdownTimeoutSeconds()).isEqualTo(30);
    assertThat(options.logFormat()).isEqualTo(LogFormat.TEXT);
  }

  @Test
  void logFormatComesFromTheEnvironmentAndATypoIsRefused() {
    assertThat(run(Map.of("LOG_FORMAT", "json"), "run", "--role", "user").logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(run(Map.of("LOG_FORMAT", " JSON "), "run", "--role", "user").logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(run(Map.of("LOG_FORMAT", "text"), "run", "--role", "user").logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(CommandLine.parse(new String[]{"keygen", "k"}, Map.of("LOG_FORMAT", "json"), 2))
      .isEqualTo(new LaunchCommand.Keygen(Path.of("k"), JwsAlgorithm.RS256, LogFormat.JSON));
    assertUsage(Map.of("LOG_FORMAT", "logstash"), "invalid LOG_FORMAT=logstash (expected text or json)", "run", "--role", "user");
    assertUsage(Map.of("LOG_FORMAT", "jsonl"), "invalid LOG_FORMAT=jsonl (expected text or json)", "keygen", "k");
  }

  @Test
  void roleAndInstancesComeFromTheEnvironmentWhenNotGiven() {
    RunOptions options = run(Map.of("LATCHKEY_ROLE", "AUTH", "LATCHKEY_INSTANCES", "3",
      "LATCHKEY_CONF_DIR", "/etc/latchkey", "LATCHKEY_PROFILE", "production", "LATCHKEY_DRAIN_SECONDS", "0"), "run");
    assertThat(options.role()).isEqualTo(Role.AUTH);
    assertThat(options.instances()).isEqualTo(3);
    assertThat(options.confDir()).isEqualTo(Path.of("/etc/latchkey"));
    assertThat(options.production()).isTrue();
    assertThat(options.drainSeconds()).isZero();
  }

  @Test
  void theCommandLineWinsOverTheEnvironment() {
    RunOptions options = run(Map.of("LATCHKEY_ROLE", "auth", "LATCHKEY_INSTANCES", "3"), "run", "--role=all", "--instances=7");
    assertThat(options.role()).isEqualTo(Role.ALL);
    assertThat(options.role().runsUser()).isTrue();
    assertThat(options.role().runsAuth()).isTrue();
    assertThat(options.instances()).isEqualTo(7);
  }

  @Test
  void keygenTakesExactlyOneFolder() {
    assertThat(CommandLine.parse(new String[]{"keygen", ".run/keys"}, NO_ENV, 2))
      .isEqualTo(new LaunchCommand.Keygen(Path.of(".run/keys"), JwsAlgorithm.RS256, LogFormat.TEXT));
    assertThatThrownBy(() -> CommandLine.parse(new String[]{"keygen"}, NO_ENV, 2))
      .isInstanceOf(UsageException.class).hasMessageContaining("keygen takes exactly one argument");
    assertThatThrownBy(() -> CommandLine.parse(new String[]{"keygen", "a", "b"}, NO_ENV, 2))
      .isInstanceOf(UsageException.class).hasMessageContaining("keygen takes exactly one argument");
  }

  @Test
  void keygenTakesItsAlgorithmFromTheOptionOrJwtAlgorithmAndRefusesAnyOther() {
    assertThat(CommandLine.parse(new String[]{"keygen", "--algorithm", "EdDSA", "k"}, NO_ENV, 2))
      .isEqualTo(new LaunchCommand.Keygen(Path.of("k"), JwsAlgorithm.EDDSA, LogFormat.TEXT));
    assertThat(keygen(NO_ENV, "keygen", "k", "--algorithm=EdDSA").algorithm()).isEqualTo(JwsAlgorithm.EDDSA);
    assertThat(keygen(Map.of("JWT_ALGORITHM", "EdDSA"), "keygen", "k").algorithm()).isEqualTo(JwsAlgorithm.EDDSA);
    assertThat(keygen(Map.of("JWT_ALGORITHM", "EdDSA"), "keygen", "--algorithm", "RS256", "k").algorithm())
      .as("the option wins over the environment").isEqualTo(JwsAlgorithm.RS256);
    assertUsage(NO_ENV, "invalid --algorithm=ES256 (expected RS256 or EdDSA)", "keygen", "--algorithm", "ES256", "k");
    assertUsage(Map.of("JWT_ALGORITHM", "eddsa"), "invalid JWT_ALGORITHM=eddsa (expected RS256 or EdDSA)", "keygen", "k");
    assertUsage(NO_ENV, "--algorithm needs a value (RS256 or EdDSA)", "keygen", "k", "--algorithm");
    assertUsage(NO_ENV, "unknown argument --size for keygen (expected --algorithm)", "keygen", "--size", "k");
  }

  @Test
  void importKeycloakTakesTheExportTheUrlEitherWayAndTheKeyFromApiKey() {
    Map<String, String> env = Map.of("API_KEY", " the-full-key ");
    LaunchCommand.ImportKeycloak spaced = (LaunchCommand.ImportKeycloak) CommandLine.parse(
      new String[]{"import-keycloak", "realm.json", "--user-service", "http://127.0.0.1:8081"}, env, 2);
    assertThat(spaced.export()).isEqualTo(Path.of("realm.json"));
    assertThat(spaced.userService()).isEqualTo(URI.create("http://127.0.0.1:8081"));
    assertThat(spaced.apiKey()).isEqualTo("the-full-key");
    assertThat(CommandLine.parse(new String[]{"import-keycloak", "--user-service=https://users.example.com/", "realm.json"}, env, 2))
      .isEqualTo(new LaunchCommand.ImportKeycloak(Path.of("realm.json"), URI.create("https://users.example.com/"), "the-full-key"));
    assertThat(spaced.toString()).as("the key is never printed").doesNotContain("the-full-key").contains("realm.json");
    assertThat(CommandLine.USAGE).contains("import-keycloak <realm-export.json> --user-service <url>", "API_KEY");
  }

  @Test
  void importKeycloakRefusesMissingAndUnknownArgumentsAndAMissingKey() {
    Map<String, String> env = Map.of("API_KEY", "k");
    assertUsage(env, "import-keycloak needs the realm export file", "import-keycloak", "--user-service", "http://127.0.0.1:8081");
    assertUsage(env, "import-keycloak needs --user-service <url>", "import-keycloak", "realm.json");
    assertUsage(env, "--user-service needs a value", "import-keycloak", "realm.json", "--user-service");
    assertUsage(env, "--user-service needs a value", "import-keycloak", "--user-service", "--other", "realm.json");
    assertUsage(env, "unknown argument --realm for import-keycloak", "import-keycloak", "realm.json", "--realm", "r",
      "--user-service", "http://127.0.0.1:8081");
    assertUsage(env, "import-keycloak takes one realm export file, not a.json and b.json", "import-keycloak", "a.json", "b.json",
      "--user-service", "http://127.0.0.1:8081");
    for (String bad : new String[]{"127.0.0.1:8081", "ftp://127.0.0.1", "http://", "http://127.0.0.1:8081/?x=1", "http://u:p@127.0.0.1",
      "http://127.0.0.1 8081"}) {
      assertUsage(env, "invalid --user-service " + bad + " (expected an http or https URL", "import-keycloak", "realm.json",
        "--user-service=" + bad);
    }
    assertUsage(NO_ENV, "import-keycloak needs API_KEY in the environment", "import-keycloak", "realm.json",
      "--user-service", "http://127.0.0.1:8081");
    assertUsage(Map.of("API_KEY", "  "), "import-keycloak needs API_KEY in the environment", "import-keycloak", "realm.json",
      "--user-service", "http://127.0.0.1:8081");
    assertUsage(NO_ENV, "unknown command import (expected run, keygen, import-keycloak or help)", "import");
  }

  @Test
  void helpIsACommand() {
    assertThat(CommandLine.parse(new String[]{"--help"}, NO_ENV, 2)).isInstanceOf(LaunchCommand.Help.class);
  }

  @Test
  void badInputIsRefusedWithAMessageNamingIt() {
    assertUsage(NO_ENV, "no command given", new String[0]);
    assertUsage(NO_ENV, "unknown command start", "start");
    assertUsage(NO_ENV, "no role: pass --role user|auth|all or set LATCHKEY_ROLE", "run");
    assertUsage(NO_ENV, "invalid role --role=users (expected user, auth or all)", "run", "--role", "users");
    assertUsage(Map.of("LATCHKEY_ROLE", "both"), "invalid role LATCHKEY_ROLE=both", "run");
    assertUsage(NO_ENV, "--role needs a value", "run", "--role");
    assertUsage(NO_ENV, "--instances needs a value", "run", "--role", "user", "--instances");
    assertUsage(NO_ENV, "invalid --instances=0 (expected an integer from 1 to 512)", "run", "--role", "user", "--instances", "0");
    assertUsage(NO_ENV, "invalid --instances=many", "run", "--role", "user", "--instances=many");
    assertUsage(Map.of("LATCHKEY_INSTANCES", "-1"), "invalid LATCHKEY_INSTANCES=-1", "run", "--role", "user");
    assertUsage(NO_ENV, "unknown argument --port for run", "run", "--role", "user", "--port", "1");
    assertUsage(Map.of("LATCHKEY_PROFILE", "prod"), "invalid LATCHKEY_PROFILE=prod (expected development or production)",
      "run", "--role", "user");
    assertUsage(Map.of("LATCHKEY_DRAIN_SECONDS", "2s"), "invalid LATCHKEY_DRAIN_SECONDS=2s", "run", "--role", "user");
    assertUsage(Map.of("LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS", "0"), "invalid LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS=0",
      "run", "--role", "user");
  }

  private static LaunchCommand.Keygen keygen(Map<String, String> env, String... args) {
    return (LaunchCommand.Keygen) CommandLine.parse(args, env, 2);
  }

  private static void assertUsage(Map<String, String> env, String expected, String... args) {
    assertThatThrownBy(() -> CommandLine.parse(args, env, 2))
      .isInstanceOf(UsageException.class)
      .hasMessageContaining(expected);
  }
}
