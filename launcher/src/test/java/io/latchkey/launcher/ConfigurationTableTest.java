package io.latchkey.launcher;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's configuration table names every environment variable the code and the scripts
 * read: a variable added without a line in the table fails this test.
 */
class ConfigurationTableTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** Settings lookups: {@code s.integer("httpPort", "USER_HTTP_PORT", ...)}. */
  private static final Pattern SETTING = Pattern.compile("\\.(?:string|integer|longValue|bool)\\(\\s*\"[^\"]*\",\\s*\"([A-Z][A-Z0-9_]*)\"");
  /** Direct reads: {@code System.getenv("X")}, {@code env.get("X")}, {@code env().get("X")}, {@code present(env, "X")}. */
  private static final Pattern DIRECT = Pattern.compile("(?:getenv|env\\.get|env\\(\\)\\.get|getOrDefault|present)\\((?:env,\\s*)?\"([A-Z][A-Z0-9_]*)\"");
  /** Shell and logback defaults: {@code ${NAME:-value}}. */
  private static final Pattern SHELL = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):-");

  @Test
  void everyVariableReadByTheCodeOrTheScriptsIsInTheReadmeTable() throws IOException {
    Set<String> read = new TreeSet<>();
    for (String module : List.of("common", "user-verticle", "auth-verticle", "launcher")) {
      Path sources = ROOT.resolve(module).resolve("src/main/java");
      if (!Files.isDirectory(sources)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(sources)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          String text = Files.readString(file);
          collect(SETTING, text, read);
          collect(DIRECT, text, read);
        }
      }
    }
    try (Stream<Path> scripts = Files.walk(ROOT.resolve("scripts"))) {
      for (Path script : scripts.filter(f -> f.toString().endsWith(".sh")).toList()) {
        collect(SHELL, Files.readString(script), read);
      }
    }
    collect(SHELL, Files.readString(ROOT.resolve("conf/logback.xml")), read);

    // the scan itself works: these are read in four different ways
    assertThat(read).contains("USER_HTTP_PORT", "AUTH_HTTP_PORT", "API_KEYS", "LATCHKEY_ROLE", "LATCHKEY_HEAP",
      "LATCHKEY_LOG_LEVEL", "HAZELCAST_MEMBERS", "DATABASE_URL");

    String readme = Files.readString(ROOT.resolve("README.md"));
    String table = readme.substring(readme.indexOf("## Configuration"));
    // LK_* are scripts/lib/latchkey.sh's own variables between its functions, not settings
    List<String> missing = read.stream().filter(name -> !name.startsWith("LK_"))
      .filter(name -> !table.contains("`" + name + "`")).toList();
    assertThat(missing).as("variables read by the code or the scripts but missing from the README's configuration table")
      .isEmpty();
  }

  private static void collect(Pattern pattern, String text, Set<String> into) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }
}
