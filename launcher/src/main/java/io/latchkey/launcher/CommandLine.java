package io.latchkey.launcher;

import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.common.Profile;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Parses the launcher's command line and its own environment variables. Everything invalid
 * becomes a {@link UsageException} whose message names the argument or variable at fault.
 * Command-line values win over the environment.
 */
public final class CommandLine {

  public static final String USAGE = String.join("\n",
    "usage: java -jar latchkey.jar run [--role user|auth|all] [--instances N]",
    "       java -jar latchkey.jar keygen [--algorithm RS256|EdDSA] <dir>",
    "       API_KEY=<key> java -jar latchkey.jar import-keycloak <realm-export.json> --user-service <url>",
    "  run     start a node of the cluster (role also from LATCHKEY_ROLE, instances from",
    "          LATCHKEY_INSTANCES, default: the number of cores); configuration from",
    "          $LATCHKEY_CONF_DIR/<service>.json (default conf/) with environment overrides",
    "  keygen  write JWT signing keys (PEM) into <dir>: an RSA 2048 pair (jwt-private.pem,",
    "          jwt-public.pem) for RS256, an Ed25519 pair (jwt-eddsa-private.pem, jwt-eddsa-public.pem)",
    "          for EdDSA; the algorithm also from JWT_ALGORITHM, default RS256; existing keys are kept",
    "  import-keycloak  import the users of a Keycloak realm export (kc.sh export --file F, or the",
    "          realm file of --dir D, its R-users-<n>.json read with it) with their password hashes",
    "          into the user service at <url> (e.g. http://127.0.0.1:8081); API_KEY: a full key of",
    "          it. Exit 0: all created or skipped; 3: some users were errors; 1: the import stopped");

  static final int MAX_INSTANCES = 512;

  private CommandLine() {
  }

  public static LaunchCommand parse(String[] args, Map<String, String> env, int cores) {
    if (args.length == 0) {
      throw new UsageException("no command given (expected run, keygen, import-keycloak or help)");
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    return switch (args[0]) {
      case "run" -> new LaunchCommand.Run(parseRun(rest, env, cores));
      case "keygen" -> parseKeygen(rest, env);
      case "import-keycloak" -> parseImportKeycloak(rest, env);
      case "help", "--help", "-h" -> new LaunchCommand.Help();
      default -> throw new UsageException("unknown command " + args[0] + " (expected run, keygen, import-keycloak or help)");
    };
  }

  private static LaunchCommand.Keygen parseKeygen(List<String> rest, Map<String, String> env) {
    String algorithm = null;
    String algorithmSource = null;
    List<String> folders = new java.util.ArrayList<>();
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (arg.equals("--algorithm")) {
        if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("-")) {
          throw new UsageException("--algorithm needs a value (RS256 or EdDSA)");
        }
        algorithm = rest.get(++i);
        algorithmSource = "--algorithm";
      } else if (arg.startsWith("--algorithm=")) {
        algorithm = arg.substring("--algorithm=".length());
        algorithmSource = "--algorithm";
      } else if (arg.startsWith("-")) {
        throw new UsageException("unknown argument " + arg + " for keygen (expected --algorithm)");
      } else {
        folders.add(arg);
      }
    }
    if (folders.size() != 1 || folders.get(0).isBlank()) {
      throw new UsageException("keygen takes exactly one argument: the folder to write the keys into");
    }
    if (algorithm == null && present(env, JwsAlgorithm.SETTING)) {
      algorithm = env.get(JwsAlgorithm.SETTING);
      algorithmSource = JwsAlgorithm.SETTING;
    }
    return new LaunchCommand.Keygen(Path.of(folders.get(0)), algorithm(algorithmSource, algorithm), LogFormat.fromEnvironment(env));
  }

  private static JwsAlgorithm algorithm(String source, String raw) {
    if (raw == null) {
      return JwsAlgorithm.RS256;
    }
    JwsAlgorithm algorithm = JwsAlgorithm.ofWireName(raw.trim());
    if (algorithm == null) {
      throw new UsageException("invalid " + source + "=" + raw + " (expected RS256 or EdDSA)");
    }
    return algorithm;
  }

  private static LaunchCommand.ImportKeycloak parseImportKeycloak(List<String> rest, Map<String, String> env) {
    String export = null;
    String url = null;
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (arg.equals("--user-service")) {
        if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--") || rest.get(i + 1).isBlank()) {
          throw new UsageException("--user-service needs a value: the user service's URL, e.g. http://127.0.0.1:8081");
        }
        url = rest.get(++i);
      } else if (arg.startsWith("--user-service=")) {
        url = arg.substring("--user-service=".length());
      } else if (arg.startsWith("-")) {
        throw new UsageException("unknown argument " + arg + " for import-keycloak (expected the realm export file and --user-service <url>)");
      } else if (export != null) {
        throw new UsageException("import-keycloak takes one realm export file, not " + export + " and " + arg);
      } else if (!arg.isBlank()) {
        export = arg;
      }
    }
    if (export == null) {
      throw new UsageException("import-keycloak needs the realm export file (written by kc.sh export --realm R --file F)");
    }
    if (url == null) {
      throw new UsageException("import-keycloak needs --user-service <url> (the user service's URL, e.g. http://127.0.0.1:8081)");
    }
    if (!present(env, "API_KEY")) {
      throw new UsageException("import-keycloak needs API_KEY in the environment: a full API key of the user service");
    }
    return new LaunchCommand.ImportKeycloak(Path.of(export), userServiceUrl(url), env.get("API_KEY").trim());
  }

  /** An http(s) URL with a host and nothing after its path; a trailing slash is allowed. */
  private static URI userServiceUrl(String raw) {
    URI uri;
    try {
      uri = new URI(raw.trim());
    } catch (URISyntaxException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
      || uri.getRawUserInfo() != null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
      throw new UsageException("invalid --user-service " + raw + " (expected an http or https URL such as http://127.0.0.1:8081)");
    }
    return uri;
  }

  private static RunOptions parseRun(List<String> rest, Map<String, String> env, int cores) {
    String role = null;
    String roleSource = null;
    String instances = null;
    String instancesSource = null;
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--role", "--instances" -> {
          if (value == null) {
            if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--")) {
              throw new UsageException(name + " needs a value");
            }
            value = rest.get(++i);
          }
          if (name.equals("--role")) {
            role = value;
            roleSource = "--role";
          } else {
            instances = value;
            instancesSource = "--instances";
          }
        }
        default -> throw new UsageException("unknown argument " + arg + " for run (expected --role or --instances)");
      }
    }
    if (role == null && present(env, "LATCHKEY_ROLE")) {
      role = env.get("LATCHKEY_ROLE");
      roleSource = "LATCHKEY_ROLE";
    }
    if (role == null) {
      throw new UsageException("no role: pass --role user|auth|all or set LATCHKEY_ROLE");
    }
    if (instances == null && present(env, "LATCHKEY_INSTANCES")) {
      instances = env.get("LATCHKEY_INSTANCES");
      instancesSource = "LATCHKEY_INSTANCES";
    }
    return new RunOptions(
      Role.parse(role, roleSource),
      instances == null ? Math.max(1, cores) : integer(instancesSource, instances, 1, MAX_INSTANCES),
      Path.of(present(env, "LATCHKEY_CONF_DIR") ? env.get("LATCHKEY_CONF_DIR").trim() : "conf"),
      profile(env),
      present(env, "LATCHKEY_DRAIN_SECONDS") ? integer("LATCHKEY_DRAIN_SECONDS", env.get("LATCHKEY_DRAIN_SECONDS"), 0, 300) : 2,
      present(env, "LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS")
        ? integer("LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS", env.get("LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS"), 1, 600) : 30,
      LogFormat.fromEnvironment(env));
  }

  /** LATCHKEY_PROFILE: {@code development} (default) or {@code production}; a typo is refused, not taken as development. */
  static Profile profile(Map<String, String> env) {
    try {
      return Profile.parse(env.get("LATCHKEY_PROFILE"));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static int integer(String source, String raw, int min, int max) {
    try {
      int value = Integer.parseInt(raw.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new UsageException("invalid " + source + "=" + raw + " (expected an integer from " + min + " to " + max + ")");
  }

  private static boolean present(Map<String, String> env, String name) {
    String value = env.get(name);
    return value != null && !value.isBlank();
  }
}
