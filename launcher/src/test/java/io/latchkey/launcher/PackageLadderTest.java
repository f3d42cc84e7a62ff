package io.latchkey.launcher;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shape of the house, kept by a test: inside every module the packages form a ladder (each
 * package imports only packages on a lower rung, never one beside it or above it), modules
 * import only modules below them, and no packages import each other in a circle. A new
 * package fails this test until it is given its rung here, on purpose.
 *
 * <p>Imports are read from the main sources as text: {@code import} lines and fully qualified
 * names ({@code io.latchkey.x.Y}) in code; comments and strings are left out.
 */
class PackageLadderTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  /** A reference to one of our types: a lower-case package path, then a capitalized type name. */
  private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.latchkey(?:\\.[a-z][a-z0-9]*)+)\\.[A-Z]");

  /** Modules from the top down; a module may import the ones after it. */
  private static final List<String> MODULES = List.of("examples/spring-resource-server", "examples/vertx-resource-server",
    "bench", "launcher", "auth-verticle", "user-verticle", "common");
  /** Modules that do not import each other. */
  private static final Set<Set<String>> SIBLINGS = Set.of(Set.of("auth-verticle", "user-verticle"));
  /** Modules that import no other module: the examples build on their own, as a team would copy them. */
  private static final Set<String> STANDALONE = Set.of("examples/spring-resource-server", "examples/vertx-resource-server");

  /** Each module's rungs, from the top down; packages on one rung do not import each other. */
  private static final Map<String, List<List<String>>> LADDERS = Map.of(
    "common", List.of(
      List.of("io.latchkey.common.audit"),
      List.of("io.latchkey.common.retention"),
      List.of("io.latchkey.common"),
      // hash imports nothing of ours, so that the bcrypt pool in io.latchkey.common can use it
      List.of("io.latchkey.common.bus", "io.latchkey.common.hash")),
    "user-verticle", List.of(
      List.of("io.latchkey.user"),
      List.of("io.latchkey.user.bus", "io.latchkey.user.http"),
      List.of("io.latchkey.user.auth"),
      List.of("io.latchkey.user.service"),
      List.of("io.latchkey.user.outbox", "io.latchkey.user.mail"),
      List.of("io.latchkey.user.repo"),
      List.of("io.latchkey.user.model")),
    "auth-verticle", List.of(
      List.of("io.latchkey.auth"),
      List.of("io.latchkey.auth.http", "io.latchkey.auth.bus"),
      List.of("io.latchkey.auth.login", "io.latchkey.auth.sync"),
      List.of("io.latchkey.auth.session"),
      List.of("io.latchkey.auth.cache"),
      List.of("io.latchkey.auth.token", "io.latchkey.auth.floor", "io.latchkey.auth.users")),
    "launcher", List.of(
      List.of("io.latchkey.launcher"),
      List.of("io.latchkey.launcher.keycloak")),
    "bench", List.of(
      List.of("io.latchkey.bench"),
      List.of("io.latchkey.bench.jmh")),
    "examples/spring-resource-server", List.of(
      List.of("io.latchkey.examples.spring")),
    "examples/vertx-resource-server", List.of(
      List.of("io.latchkey.examples.vertx")));

  @Test
  void everyModuleIsALadderAndNoPackagesFormACircle() throws IOException {
    Map<String, String> moduleOf = new TreeMap<>();
    Map<String, Set<String>> imports = new TreeMap<>();
    for (String module : MODULES) {
      readModule(module, moduleOf, imports);
    }
    // the reading works: these arrows exist
    assertThat(imports.get("io.latchkey.auth.http")).contains("io.latchkey.auth.session", "io.latchkey.common");
    assertThat(imports.get("io.latchkey.user.http")).contains("io.latchkey.user.service");

    List<String> wrong = new ArrayList<>();
    for (var entry : imports.entrySet()) {
      String from = entry.getKey();
      String fromModule = moduleOf.get(from);
      int fromRung = rung(fromModule, from);
      if (fromRung < 0) {
        wrong.add(from + " has no rung in " + fromModule + "'s ladder (add it to PackageLadderTest.LADDERS)");
        continue;
      }
      for (String to : entry.getValue()) {
        String toModule = moduleOf.get(to);
        if (toModule == null) {
          wrong.add(from + " imports " + to + ", which no module defines");
        } else if (!toModule.equals(fromModule)) {
          if (STANDALONE.contains(fromModule)) {
            wrong.add(from + " (" + fromModule + ") imports " + to + " (" + toModule + "): an example imports no other module");
          } else if (SIBLINGS.contains(Set.of(fromModule, toModule)) || MODULES.indexOf(toModule) < MODULES.indexOf(fromModule)) {
            wrong.add(from + " (" + fromModule + ") imports " + to + " (" + toModule + "): modules import only modules below them");
          }
        } else if (rung(toModule, to) <= fromRung) {
          wrong.add(from + " imports " + to + ", which is " + (rung(toModule, to) == fromRung ? "on the same rung" : "above it"));
        }
      }
    }
    assertThat(wrong).as("imports against the ladder").isEmpty();
    assertThat(circles(imports)).as("packages that import each other in a circle").isEmpty();
  }

  private static void readModule(String module, Map<String, String> moduleOf, Map<String, Set<String>> imports) throws IOException {
    Path sources = ROOT.resolve(module).resolve("src/main/java");
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = withoutCommentsAndStrings(Files.readString(file));
        Matcher pkg = PACKAGE.matcher(text);
        assertThat(pkg.find()).as("package line of " + file).isTrue();
        String from = pkg.group(1);
        moduleOf.put(from, module);
        Set<String> targets = imports.computeIfAbsent(from, k -> new TreeSet<>());
        Matcher ref = REFERENCE.matcher(text.substring(pkg.end()));
        while (ref.find()) {
          if (!ref.group(1).equals(from)) {
            targets.add(ref.group(1));
          }
        }
      }
    }
  }

  private static int rung(String module, String pkg) {
    List<List<String>> ladder = LADDERS.getOrDefault(module, List.of());
    for (int i = 0; i < ladder.size(); i++) {
      if (ladder.get(i).contains(pkg)) {
        return i;
      }
    }
    return -1;
  }

  /** Every package that can reach itself, with one circle it lies on. */
  private static Map<String, List<String>> circles(Map<String, Set<String>> imports) {
    Map<String, List<String>> found = new LinkedHashMap<>();
    for (String start : imports.keySet()) {
      List<String> path = pathBack(start, start, imports, new TreeSet<>(), new ArrayList<>());
      if (path != null) {
        found.put(start, path);
      }
    }
    return found;
  }

  private static List<String> pathBack(String at, String target, Map<String, Set<String>> imports, Set<String> seen,
                                       List<String> path) {
    path.add(at);
    for (String next : imports.getOrDefault(at, Set.of())) {
      if (next.equals(target)) {
        List<String> circle = new ArrayList<>(path);
        circle.add(target);
        return circle;
      }
      if (seen.add(next)) {
        List<String> found = pathBack(next, target, imports, seen, path);
        if (found != null) {
          return found;
        }
      }
    }
    path.remove(path.size() - 1);
    return null;
  }

  private static String withoutCommentsAndStrings(String text) {
    return text.replaceAll("(?s)/\\*.*?\\*/", " ")
      .replaceAll("//[^\\n]*", " ")
      .replaceAll("\"(?:\\\\.|[^\"\\\\\\n])*\"", "\"\"");
  }
}
