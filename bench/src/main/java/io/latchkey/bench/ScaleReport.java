package io.latchkey.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The "scale" table of a scripts/bench.sh run with {@code --scale} or {@code --seed-users /
 * --seed-sessions} (docs/BENCHMARKS.md, "At scale"): per level of seeded users and sessions, the
 * seeding time, the start times, searches and by-email lookups one at a time, the bounds measured
 * alone, the login, refresh, validate-token and baseline rates (each with its ratio to the level's
 * bound or baseline), and the bytes each refresh added to auth.sessions and the tables of
 * refresh-token hashes. Its input is every raw record that carries a level
 * ({@code scaleUsers}, {@code scaleSessions}); BenchReport leaves those out of the main table.
 *
 * <p>As in the main table every figure is checked: a measurement with a non-2xx, an unexpected
 * body, a failed request or a timeout shows its errors instead of a figure.
 */
final class ScaleReport {

  /** The scale measures in the order of the table, with their row titles. */
  private static final Map<String, String> SEQUENTIAL = new LinkedHashMap<>();
  private static final Map<String, String> RATES = new LinkedHashMap<>();

  static {
    SEQUENTIAL.put("search-rare", "search, a rare term");
    SEQUENTIAL.put("search-common", "search, a common term");
    SEQUENTIAL.put("search-none", "search, a term that matches nothing");
    SEQUENTIAL.put("by-email", "GET /users/by-email/{email}");
    RATES.put("login", "login");
    RATES.put("refresh", "refresh");
    RATES.put("validate-token", "validate-token");
    RATES.put("baseline", "baseline (this machine's HTTP ceiling at the time)");
  }

  private ScaleReport() {
  }

  /** Whether a raw record belongs to a level of the scale table. */
  static boolean isScale(JsonObject record) {
    return record.containsKey("scaleUsers");
  }

  /** A level: the numbers of users and sessions seeded. */
  record Level(long users, long sessions) {
    static Level of(JsonObject r) {
      return new Level(r.getLong("scaleUsers"), r.getLong("scaleSessions"));
    }

    JsonObject tag(JsonObject row) {
      return new JsonObject().put("table", "scale").put("scaleUsers", users).put("scaleSessions", sessions).mergeIn(row);
    }
  }

  /** The scale rows for results.json (each with {@code table: "scale"}, its level and {@code measure}), levels in run order. */
  static JsonArray rows(List<JsonObject> raw) {
    List<Level> levels = new ArrayList<>();
    for (JsonObject r : raw) {
      if (isScale(r) && !levels.contains(Level.of(r))) {
        levels.add(Level.of(r));
      }
    }
    JsonArray rows = new JsonArray();
    for (Level level : levels) {
      List<JsonObject> mine = raw.stream().filter(r -> isScale(r) && Level.of(r).equals(level)).toList();
      for (JsonObject r : mine) {
        switch (r.getString("kind", "")) {
          case "seed" -> rows.add(level.tag(new JsonObject().put("measure", "tables")
            .put("usersRows", r.getLong("usersRows")).put("sessionsRows", r.getLong("sessionsRows"))
            .put("addedUsers", r.getLong("addedUsers")).put("addedSessions", r.getLong("addedSessions"))
            .put("seedUsersSeconds", r.getDouble("usersSeconds")).put("seedSessionsSeconds", r.getDouble("sessionsSeconds"))
            .put("vacuumAnalyzeSeconds", r.getDouble("vacuumAnalyzeSeconds"))));
          case "scale-ready" -> rows.add(level.tag(new JsonObject().put("measure", "ready")
            .put("userReadyMs", r.getLong("userReadyMs")).put("authReadyMs", r.getLong("authReadyMs"))
            .put("loadBefore", r.getString("loadBefore"))));
          case "bounds" -> rows.add(level.tag(new JsonObject().put("measure", "bounds")
            .put("bcryptBoundPerSecond", r.getDouble("bcryptBoundPerSecond"))
            .put("rs256SignBoundPerSecond", r.getDouble("rs256SignBoundPerSecond"))));
          case "sequential" -> rows.add(level.tag(sequential(r)));
          case "wrk" -> rows.add(level.tag(rate(r, mine)));
          case "refresh-storage" -> rows.add(level.tag(storage(r, mine)));
          default -> {
          }
        }
      }
    }
    return rows;
  }

  private static JsonObject sequential(JsonObject r) {
    String errors = BenchReport.errors(r);
    return new JsonObject().put("measure", r.getString("scenario")).put("term", r.getString("term"))
      .put("matches", r.getLong("matches")).put("n", r.getInteger("n")).put("count", r.getInteger("count"))
      .put("p50Ms", errors == null ? ms(r.getLong("p50Us")) : null)
      .put("p99Ms", errors == null ? ms(r.getLong("p99Us")) : null)
      .put("maxMs", errors == null ? ms(r.getLong("maxUs")) : null)
      .put("errors", errors).put("loadBefore", r.getString("loadBefore"));
  }

  /**
   * A rate, with its ratio to what bounds it measured at the same level (the machine's share of
   * it at that moment): login to the bcrypt bound, refresh to the RS256 signing bound,
   * validate-token to the baseline. Rates of two levels compare through these ratios when the
   * machine's load moved between them.
   */
  private static JsonObject rate(JsonObject r, List<JsonObject> level) {
    String errors = BenchReport.errors(r);
    String scenario = r.getString("scenario");
    Double rps = errors == null ? BenchReport.round(BenchReport.rate(r), 1) : null;
    JsonObject bounds = level.stream().filter(b -> "bounds".equals(b.getString("kind"))).findFirst().orElse(new JsonObject());
    String ratioTo = switch (scenario) {
      case "login" -> "bcrypt-bound";
      case "refresh" -> "rs256-sign-bound";
      case "validate-token" -> "baseline";
      default -> null;
    };
    Double reference = switch (scenario) {
      case "login" -> bounds.getDouble("bcryptBoundPerSecond");
      case "refresh" -> bounds.getDouble("rs256SignBoundPerSecond");
      case "validate-token" -> level.stream()
        .filter(b -> "wrk".equals(b.getString("kind")) && "baseline".equals(b.getString("scenario")) && BenchReport.errors(b) == null)
        .map(BenchReport::rate).findFirst().orElse(null);
      default -> null;
    };
    return new JsonObject().put("measure", scenario).put("connections", r.getInteger("connections"))
      .put("requestsPerSecond", rps)
      .put("ratio", rps == null || reference == null || reference == 0 ? null : BenchReport.round(rps / reference, 3))
      .put("ratioTo", ratioTo)
      .put("p50Ms", ms(r.getLong("p50Us"))).put("p99Ms", ms(r.getLong("p99Us")))
      .put("requests", r.getLong("requests")).put("errors", errors).put("loadBefore", r.getString("loadBefore"));
  }

  /**
   * Bytes per refresh: the growth of auth.sessions and of the tables of refresh-token hashes
   * (auth.retired_refresh_tokens, and auth.legacy_refresh_tokens from auth V14 on; tables, indexes
   * and TOAST) over the measured refresh run, divided by the refreshes that run answered 200 (the
   * level's wrk record of scenario refresh).
   */
  private static JsonObject storage(JsonObject r, List<JsonObject> level) {
    long refreshes = level.stream()
      .filter(w -> "wrk".equals(w.getString("kind")) && "refresh".equals(w.getString("scenario")))
      .mapToLong(w -> w.getJsonObject("statuses", new JsonObject()).getLong("200", 0L)).sum();
    long sessionsBytes = r.getLong("sessionsBytesAfter") - r.getLong("sessionsBytesBefore");
    long hashBytes = r.getLong("tokenHashBytesAfter") - r.getLong("tokenHashBytesBefore");
    long hashRows = r.getLong("tokenHashRowsAfter") - r.getLong("tokenHashRowsBefore");
    JsonObject out = new JsonObject().put("measure", "refresh-storage").put("refreshes", refreshes)
      .put("sessionsBytes", sessionsBytes).put("tokenHashBytes", hashBytes).put("tokenHashRows", hashRows)
      .put("vacuumsDuring", r.getLong("vacuumsAfter") - r.getLong("vacuumsBefore"))
      .put("sessionsBytesBefore", r.getLong("sessionsBytesBefore")).put("sessionsBytesAfter", r.getLong("sessionsBytesAfter"))
      .put("tokenHashBytesBefore", r.getLong("tokenHashBytesBefore")).put("tokenHashBytesAfter", r.getLong("tokenHashBytesAfter"));
    if (refreshes > 0) {
      out.put("bytesPerRefresh", BenchReport.round((sessionsBytes + hashBytes) / (double) refreshes, 1))
        .put("sessionsBytesPerRefresh", BenchReport.round(sessionsBytes / (double) refreshes, 1))
        .put("tokenHashBytesPerRefresh", BenchReport.round(hashBytes / (double) refreshes, 1))
        .put("tokenHashRowsPerRefresh", BenchReport.round(hashRows / (double) refreshes, 3));
    }
    return out;
  }

  /** The table, one column per level, one row per measure; empty without scale rows. */
  static String markdown(JsonArray rows) {
    List<Level> levels = new ArrayList<>();
    for (Object o : rows) {
      Level level = Level.of((JsonObject) o);
      if (!levels.contains(level)) {
        levels.add(level);
      }
    }
    if (levels.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("Scale: per level of seeded users / sessions (docs/BENCHMARKS.md, \"At scale\")\n\n| |");
    levels.forEach(l -> md.append(' ').append(count(l.users())).append(" users / ").append(count(l.sessions())).append(" sessions |"));
    md.append("\n|---|").append("---:|".repeat(levels.size())).append('\n');

    line(md, "rows in users.users / auth.sessions", levels, rows, "tables",
      r -> count(r.getLong("usersRows")) + " / " + count(r.getLong("sessionsRows")));
    line(md, "seeding this level: users + sessions + VACUUM ANALYZE and CHECKPOINT, s", levels, rows, "tables",
      r -> r.getLong("addedUsers", 0L) + r.getLong("addedSessions", 0L) == 0 ? "none"
        : fixed(r.getDouble("seedUsersSeconds"), 1) + " + " + fixed(r.getDouble("seedSessionsSeconds"), 1) + " + "
          + fixed(r.getDouble("vacuumAnalyzeSeconds"), 1));
    line(md, "ready after the start: user / auth, ms", levels, rows, "ready",
      r -> r.getLong("userReadyMs") + " / " + r.getLong("authReadyMs"));
    for (Map.Entry<String, String> measure : SEQUENTIAL.entrySet()) {
      String title = measure.getValue() + firstTerm(rows, measure.getKey()) + ": p50 / p99 ms (n"
        + (measure.getKey().startsWith("search") ? ", matching users" : "") + ")";
      line(md, title, levels, rows, measure.getKey(), r -> r.getString("errors") != null ? "ERRORS: " + r.getString("errors")
        : fixed(r.getDouble("p50Ms"), 1) + " / " + fixed(r.getDouble("p99Ms"), 1) + " (" + r.getInteger("n")
          + (r.getLong("matches") == null ? "" : ", " + count(r.getLong("matches"))) + ")");
    }
    line(md, "bounds measured alone at this level: bcrypt / RS256 signing, per s", levels, rows, "bounds",
      r -> fixed(r.getDouble("bcryptBoundPerSecond"), 1) + " / " + fixed(r.getDouble("rs256SignBoundPerSecond"), 1));
    for (Map.Entry<String, String> measure : RATES.entrySet()) {
      String title = measure.getValue() + firstConnections(rows, measure.getKey()) + ": requests/s (p99 ms)"
        + firstRatioTo(rows, measure.getKey());
      line(md, title, levels, rows, measure.getKey(), r -> r.getString("errors") != null ? "ERRORS: " + r.getString("errors")
        : fixed(r.getDouble("requestsPerSecond"), 1) + " (" + fixed(r.getDouble("p99Ms"), 1) + ")"
          + (r.getValue("ratio") == null ? "" : ", " + fixed(r.getDouble("ratio"), 3)));
    }
    line(md, "bytes added per refresh: sessions + token-hash tables (hash rows per refresh)", levels, rows, "refresh-storage",
      r -> r.getValue("bytesPerRefresh") == null ? "no refresh measured"
        : fixed(r.getDouble("sessionsBytesPerRefresh"), 0) + " + " + fixed(r.getDouble("tokenHashBytesPerRefresh"), 0)
          + " = " + fixed(r.getDouble("bytesPerRefresh"), 0) + " (" + fixed(r.getDouble("tokenHashRowsPerRefresh"), 2) + ")"
          + (r.getLong("vacuumsDuring", 0L) > 0 ? ", autovacuum ran" : ""));
    line(md, "load average before the level (1 / 5 / 15 min)", levels, rows, "ready", r -> r.getString("loadBefore", ""));
    return md.toString();
  }

  private static void line(StringBuilder md, String title, List<Level> levels, JsonArray rows, String measure,
                           Function<JsonObject, String> cell) {
    md.append("| ").append(title).append(" |");
    for (Level level : levels) {
      JsonObject row = find(rows, level, measure);
      md.append(' ').append(row == null ? "" : cell.apply(row)).append(" |");
    }
    md.append('\n');
  }

  private static JsonObject find(JsonArray rows, Level level, String measure) {
    for (Object o : rows) {
      JsonObject r = (JsonObject) o;
      if (Level.of(r).equals(level) && measure.equals(r.getString("measure"))) {
        return r;
      }
    }
    return null;
  }

  private static String firstTerm(JsonArray rows, String measure) {
    return rows.stream().map(JsonObject.class::cast).filter(r -> measure.equals(r.getString("measure")))
      .map(r -> r.getString("term")).filter(Objects::nonNull).findFirst().map(t -> " \"" + t + "\"").orElse("");
  }

  private static String firstConnections(JsonArray rows, String measure) {
    return rows.stream().map(JsonObject.class::cast).filter(r -> measure.equals(r.getString("measure")))
      .map(r -> r.getInteger("connections")).filter(Objects::nonNull).findFirst().map(c -> ", " + c + " connections").orElse("");
  }

  private static String firstRatioTo(JsonArray rows, String measure) {
    return rows.stream().map(JsonObject.class::cast).filter(r -> measure.equals(r.getString("measure")))
      .map(r -> r.getString("ratioTo")).filter(Objects::nonNull).findFirst().map(to -> ", ratio to the level's " + to).orElse("");
  }

  private static String count(Long value) {
    return value == null ? "?" : String.format(Locale.ROOT, "%,d", value);
  }

  private static String fixed(Double value, int decimals) {
    return value == null ? "?" : BenchReport.format(value, decimals);
  }

  private static Double ms(Long micros) {
    return micros == null ? null : BenchReport.round(micros / 1000.0, 2);
  }
}
