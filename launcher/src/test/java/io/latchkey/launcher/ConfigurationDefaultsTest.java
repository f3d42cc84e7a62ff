package io.latchkey.launcher;

import io.latchkey.auth.AuthConfig;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.user.UserConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each service default is stated once, where its configuration holder reads it; {@code
 * conf/user.json}, {@code conf/auth.json} and the README's configuration table are held against
 * those reads here, so that none of the three can drift from the others.
 */
class ConfigurationDefaultsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** Conf keys whose default depends on the machine, so they are not written into conf/*.json. */
  private static final Map<String, String> MACHINE_DEFAULTS = Map.of("bcryptThreads", "number of cores");
  /** A README table row: {@code | `NAME` | default | meaning |}. */
  private static final Pattern ROW = Pattern.compile("^\\| `([A-Z][A-Z0-9_]*)` \\| ([^|]*) \\|", Pattern.MULTILINE);

  @TempDir
  Path keys;

  @Test
  void confFilesHoldExactlyTheCodeDefaults() throws IOException {
    for (var service : lookups().entrySet()) {
      JsonObject conf = new JsonObject(Files.readString(ROOT.resolve("conf").resolve(service.getKey() + ".json")));
      List<String> wrong = new ArrayList<>();
      Map<String, Object> defaults = new HashMap<>();
      for (Settings.Lookup lookup : service.getValue()) {
        defaults.put(lookup.key(), lookup.fallback());
        boolean inConf = conf.containsKey(lookup.key());
        if (lookup.fallback() == null || MACHINE_DEFAULTS.containsKey(lookup.key())) {
          if (inConf) {
            wrong.add(lookup.key() + " has no fixed default in the code, but conf says " + conf.getValue(lookup.key()));
          }
        } else if (!inConf) {
          wrong.add(lookup.key() + " (default " + lookup.fallback() + ") is missing from the conf file");
        } else if (!String.valueOf(conf.getValue(lookup.key())).equals(String.valueOf(lookup.fallback()))) {
          wrong.add(lookup.key() + ": conf says " + conf.getValue(lookup.key()) + ", the code " + lookup.fallback());
        }
      }
      for (String key : conf.fieldNames()) {
        if (!defaults.containsKey(key)) {
          wrong.add(key + " is in the conf file but no setting reads it");
        }
      }
      assertThat(wrong).as("conf/" + service.getKey() + ".json against the code").isEmpty();
    }
  }

  @Test
  void theReadmeTableStatesTheCodeDefaults() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Map<String, String> table = new HashMap<>();
    Matcher row = ROW.matcher(readme.substring(readme.indexOf("## Configuration")));
    while (row.find()) {
      table.put(row.group(1), row.group(2).trim());
    }
    assertThat(table).as("the table was read").containsKeys("USER_HTTP_PORT", "AUTH_HTTP_PORT", "BCRYPT_COST");

    List<String> wrong = new ArrayList<>();
    for (var service : lookups().entrySet()) {
      for (Settings.Lookup lookup : service.getValue()) {
        if (lookup.envName() == null) {
          continue;
        }
        String cell = table.get(lookup.envName());
        String expected = MACHINE_DEFAULTS.containsKey(lookup.key()) ? MACHINE_DEFAULTS.get(lookup.key())
          : lookup.fallback() == null ? null
          : String.valueOf(lookup.fallback()).isEmpty() ? "none"
          : "`" + lookup.fallback() + "`";
        if (cell == null) {
          wrong.add(lookup.envName() + " has no row");
        } else if (expected != null && !cell.startsWith(expected) && !cell.contains(expected + " " + service.getKey())) {
          // (a variable both services read, with a default each, states both: "`9181` user, `9182` auth")
          wrong.add(lookup.envName() + ": the README says " + cell + ", the code " + expected);
        }
      }
    }
    assertThat(wrong).as("README configuration table against the code").isEmpty();
  }

  /** What each service reads, with its defaults: the holders run on an empty configuration. */
  private Map<String, List<Settings.Lookup>> lookups() {
    Settings user = new Settings(new JsonObject(), Map.of());
    UserConfig.from(user);
    // development keys are generated into a temporary folder instead of .run/keys
    Settings auth = new Settings(new JsonObject(), Map.of("JWT_KEYS_DIR", keys.toString()));
    AuthConfig.from(auth, Profile.DEVELOPMENT);
    assertThat(user.lookups()).extracting(Settings.Lookup::key).contains("httpPort", "bcryptCost", "databaseUrl");
    assertThat(auth.lookups()).extracting(Settings.Lookup::key).contains("httpPort", "loginAccountMaxFailures");
    return Map.of("user", dedupe(user.lookups()), "auth", dedupe(auth.lookups()));
  }

  private static List<Settings.Lookup> dedupe(List<Settings.Lookup> lookups) {
    Set<String> seen = new java.util.HashSet<>();
    return lookups.stream().filter(l -> seen.add(l.key())).toList();
  }
}
