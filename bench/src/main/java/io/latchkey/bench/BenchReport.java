package io.latchkey.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the raw records of one scripts/bench.sh run (one JSON object a line: {@code wrk} records
 * printed by scripts/bench/common.lua, {@code bounds} from {@link CryptoBounds}, {@code process}
 * and {@code run} records written by the script) into the result table: printed, written as
 * {@code results.json} (an array of rows) and {@code results.md} in the output folder.
 *
 * <p>Every figure is checked: a wrk scenario with a non-2xx answer, a 2xx whose body was not the
 * expected one, or a socket error or timeout reports {@code requestsPerSecond: null} and says
 * what went wrong in {@code errors}, instead of a rate.
 *
 * <pre>java -cp latchkey-bench.jar io.latchkey.bench.BenchReport &lt;raw.jsonl&gt; &lt;output folder&gt;</pre>
 */
public final class BenchReport {

  /** What a scenario is compared with, and the target for the ratio (or the figure). */
  record Target(String ratioTo, double minRatio, String text) {
  }

  static final Map<String, Target> TARGETS = new LinkedHashMap<>();

  static {
    TARGETS.put("baseline", new Target("baseline", 0, "ceiling of this machine"));
    TARGETS.put("validate-token", new Target("baseline", 0.5, ">= 50 % of baseline"));
    TARGETS.put("introspect", new Target("baseline", 0.5, ">= 50 % of baseline"));
    TARGETS.put("me", new Target("baseline", 0.1, ">= 10 % of baseline"));
    TARGETS.put("refresh", new Target("rs256-sign-bound", 0.6, ">= 60 % of the RS256 signing bound"));
    // the same refresh chains, the auth service restarted with JWT_ALGORITHM=EdDSA (issue 16)
    TARGETS.put("refresh-eddsa", new Target("refresh", 1.8, ">= 1.8x refresh with RS256"));
    TARGETS.put("validate-token-eddsa", new Target("baseline", 0.5, ">= 50 % of baseline, EdDSA tokens"));
    TARGETS.put("login", new Target("bcrypt-bound", 0.9, ">= 90 % of the bcrypt bound"));
    // completed two-step logins (password, then a TOTP code): the second step adds no hash
    TARGETS.put("login-mfa", new Target("bcrypt-bound", 0.9, ">= 90 % of the bcrypt bound"));
    // logins while validation saturates the CPU: bcrypt runs at nice 19 by design, so this shows
    // how much it still gets, not a target
    TARGETS.put("login-under-load", new Target("bcrypt-bound", 0, "logins beside the validation load (bcrypt yields)"));
    TARGETS.put("validate-under-login", new Target("baseline", 0, "p99 < 10 ms"));
    TARGETS.put("login-beside-paced", new Target("bcrypt-bound", 0, "logins beside the paced validations"));
    TARGETS.put("validate-paced-under-login", new Target(null, 0,
      "p99 of validations at a fixed pace (CPU not saturated) while logins saturate bcrypt"));
  }

  static final double VALIDATION_P99_TARGET_MS = 10;
  static final double RSS_TARGET_MB = 250;
  /** The user service's live heap after an import of 100,000 users, against before it (ImportVolumeTest bounds 8 MiB too). */
  static final int IMPORT_HEAP_GROWTH_TARGET_MB = 8;
  static final double READY_TARGET_MS = 3000;

  private BenchReport() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: BenchReport <raw.jsonl> <output folder>");
      System.exit(2);
    }
    List<JsonObject> raw = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        raw.add(new JsonObject(line.trim()));
      }
    }
    JsonObject run = raw.stream().filter(r -> "run".equals(r.getString("kind"))).reduce(new JsonObject(), JsonObject::mergeIn);
    JsonArray rows = rows(raw);
    JsonArray scale = ScaleReport.rows(raw);
    String markdown = markdown(run, rows) + (scale.isEmpty() ? "" : "\n" + ScaleReport.markdown(scale));
    Path out = Path.of(args[1]);
    Files.createDirectories(out);
    Files.writeString(out.resolve("results.json"), rows.copy().addAll(scale).encodePrettily() + "\n", StandardCharsets.UTF_8);
    Files.writeString(out.resolve("results.md"), markdown, StandardCharsets.UTF_8);
    System.out.println(markdown);
  }

  /** The error-free rates of a scenario (outside the scale levels), by connections. */
  private static Map<Integer, Double> rates(List<JsonObject> raw, String scenario) {
    Map<Integer, Double> rates = new LinkedHashMap<>();
    for (JsonObject r : raw) {
      if ("wrk".equals(r.getString("kind")) && scenario.equals(r.getString("scenario")) && !ScaleReport.isScale(r)
        && errors(r) == null) {
        rates.put(r.getInteger("connections"), rate(r));
      }
    }
    return rates;
  }

  /**
   * The result rows: wrk scenarios with their ratios, then the bounds, memory and start times. The
   * records of a scale level ({@link ScaleReport}) are not among them.
   */
  static JsonArray rows(List<JsonObject> raw) {
    JsonObject bounds = raw.stream().filter(r -> "bounds".equals(r.getString("kind")) && !ScaleReport.isScale(r))
      .findFirst().orElse(new JsonObject());
    Map<Integer, Double> baseline = rates(raw, "baseline");
    Map<Integer, Double> refresh = rates(raw, "refresh");
    JsonArray rows = new JsonArray();
    for (JsonObject r : raw) {
      if (!"wrk".equals(r.getString("kind")) || ScaleReport.isScale(r)) {
        continue;
      }
      String scenario = r.getString("scenario");
      int connections = r.getInteger("connections");
      Target target = TARGETS.getOrDefault(scenario, new Target(null, 0, ""));
      String errors = errors(r);
      Double rps = errors == null ? round(rate(r), 1) : null;
      Double reference = switch (target.ratioTo() == null ? "" : target.ratioTo()) {
        case "baseline" -> baseline.get(connections);
        case "bcrypt-bound" -> bounds.getDouble("bcryptBoundPerSecond");
        case "rs256-sign-bound" -> bounds.getDouble("rs256SignBoundPerSecond");
        case "refresh" -> refresh.get(connections);
        default -> null;
      };
      Double ratio = rps == null || reference == null || reference == 0 ? null : round(rps / reference, 3);
      double p99Ms = r.getLong("p99Us") / 1000.0;
      Boolean met;
      if (errors != null) {
        met = false;
      } else if (scenario.equals("validate-under-login")) {
        met = p99Ms < VALIDATION_P99_TARGET_MS;
      } else if (target.minRatio() > 0) {
        met = ratio != null && ratio >= target.minRatio();
      } else {
        met = null;
      }
      rows.add(new JsonObject()
        .put("scenario", scenario)
        .put("connections", connections)
        .put("requestsPerSecond", rps)
        .put("p50Ms", round(r.getLong("p50Us") / 1000.0, 2))
        .put("p99Ms", round(p99Ms, 2))
        .put("non2xx", r.getLong("non2xx"))
        .put("ratio", ratio)
        .put("ratioTo", target.ratioTo())
        .put("target", target.text())
        .put("met", met)
        .put("requests", r.getLong("requests"))
        .put("durationS", round(r.getLong("durationUs") / 1e6, 2))
        .put("statuses", r.getJsonObject("statuses"))
        .put("errors", errors)
        .put("cpuUsPerRequest", cpuPerRequest(r))
        .put("loadBefore", r.getString("loadBefore")));
    }
    if (bounds.containsKey("bcryptBoundPerSecond")) {
      rows.add(new JsonObject().put("scenario", "bcrypt-bound").put("connections", 0)
        .put("requestsPerSecond", bounds.getDouble("bcryptBoundPerSecond"))
        .put("p50Ms", bounds.getDouble("bcryptVerifyMedianMs")).put("p99Ms", null).put("non2xx", 0)
        .put("ratio", null).put("ratioTo", null)
        .put("target", bounds.getInteger("bcryptThreads") + " thread(s) / median verify at cost " + bounds.getInteger("bcryptCost")));
      if (bounds.containsKey("bcryptLoopPerSecond")) {
        double loop = bounds.getDouble("bcryptLoopPerSecond");
        rows.add(new JsonObject().put("scenario", "bcrypt-loop").put("connections", 0)
          .put("requestsPerSecond", loop).put("p50Ms", null).put("p99Ms", null).put("non2xx", 0)
          .put("ratio", round(loop / bounds.getDouble("bcryptBoundPerSecond"), 3)).put("ratioTo", "bcrypt-bound")
          .put("target", bounds.getInteger("bcryptThreads") + " thread(s) verifying back to back, nothing else: what bcrypt alone reaches"));
      }
      rows.add(new JsonObject().put("scenario", "rs256-sign-bound").put("connections", 0)
        .put("requestsPerSecond", bounds.getDouble("rs256SignBoundPerSecond"))
        .put("p50Ms", bounds.getDouble("rs256SignMedianMs")).put("p99Ms", null).put("non2xx", 0)
        .put("ratio", null).put("ratioTo", null)
        .put("target", bounds.getInteger("signingThreads") + " signing thread(s) / median RS256 sign"));
      if (bounds.containsKey("rs256SignLoopPerSecond")) {
        double loop = bounds.getDouble("rs256SignLoopPerSecond");
        rows.add(new JsonObject().put("scenario", "rs256-sign-loop").put("connections", 0)
          .put("requestsPerSecond", loop).put("p50Ms", null).put("p99Ms", null).put("non2xx", 0)
          .put("ratio", round(loop / bounds.getDouble("rs256SignBoundPerSecond"), 3)).put("ratioTo", "rs256-sign-bound")
          .put("target", bounds.getInteger("signingThreads") + " thread(s) signing back to back, nothing else: what RS256 signing alone reaches"));
      }
      if (bounds.containsKey("eddsaSignBoundPerSecond")) {
        double eddsa = bounds.getDouble("eddsaSignBoundPerSecond");
        rows.add(new JsonObject().put("scenario", "eddsa-sign-bound").put("connections", 0)
          .put("requestsPerSecond", eddsa)
          .put("p50Ms", bounds.getDouble("eddsaSignMedianMs")).put("p99Ms", null).put("non2xx", 0)
          .put("ratio", round(eddsa / bounds.getDouble("rs256SignBoundPerSecond"), 3)).put("ratioTo", "rs256-sign-bound")
          .put("target", bounds.getInteger("signingThreads") + " signing thread(s) / median EdDSA (Ed25519) sign"));
      }
    }
    for (JsonObject p : raw) {
      if (!"process".equals(p.getString("kind")) || ScaleReport.isScale(p)) {
        continue;
      }
      String role = p.getString("role");
      Long rssKb = p.getLong("rssKb");
      Long readyMs = p.getLong("readyMs");
      if (rssKb != null) {
        double mb = round(rssKb / 1024.0, 1);
        rows.add(new JsonObject().put("scenario", "rss-" + role).put("connections", 0).put("requestsPerSecond", null)
          .put("p50Ms", null).put("p99Ms", null).put("non2xx", 0).put("ratio", round(mb / RSS_TARGET_MB, 3))
          .put("ratioTo", "250 MB").put("rssMb", mb).put("target", "<= 250 MB after the load").put("met", mb <= RSS_TARGET_MB));
      }
      if (readyMs != null) {
        rows.add(new JsonObject().put("scenario", "ready-" + role).put("connections", 0).put("requestsPerSecond", null)
          .put("p50Ms", null).put("p99Ms", null).put("non2xx", 0).put("ratio", round(readyMs / READY_TARGET_MS, 3))
          .put("ratioTo", "3 s").put("readyMs", readyMs).put("target", "<= 3 s from process start").put("met", readyMs <= READY_TARGET_MS));
      }
    }
    for (JsonObject i : raw) {
      if (!"import".equals(i.getString("kind"))) {
        continue;
      }
      long lines = i.getLong("lines");
      double seconds = i.getLong("durationUs") / 1e6;
      double heapGrowthMb = round((i.getLong("heapUsedKbAfter") - i.getLong("heapUsedKbBefore")) / 1024.0, 1);
      boolean complete = i.getLong("created") + i.getLong("skipped") + i.getLong("errorCount") == lines;
      rows.add(new JsonObject().put("scenario", "import-" + lines).put("connections", 1)
        .put("requestsPerSecond", round(lines / seconds, 1)).put("p50Ms", null).put("p99Ms", null).put("non2xx", 0)
        .put("ratio", null).put("ratioTo", null)
        .put("target", String.format(Locale.ROOT, "users/s in one request of %.1f MB (%d s); created %d, skipped %d, errors %d; "
            + "user service: live heap %.1f -> %.1f MB, RSS %.1f -> %.1f MB (peak %.1f); live heap growth <= %d MB",
          i.getLong("bodyBytes") / 1e6, Math.round(seconds), i.getLong("created"), i.getLong("skipped"), i.getLong("errorCount"),
          i.getLong("heapUsedKbBefore") / 1024.0, i.getLong("heapUsedKbAfter") / 1024.0, i.getLong("rssKbBefore") / 1024.0,
          i.getLong("rssKbAfter") / 1024.0, i.getLong("rssKbPeak") / 1024.0, IMPORT_HEAP_GROWTH_TARGET_MB))
        .put("heapGrowthMb", heapGrowthMb)
        .put("met", complete && heapGrowthMb <= IMPORT_HEAP_GROWTH_TARGET_MB));
    }
    return rows;
  }

  /**
   * Why a wrk record's rate (or a {@link SequentialLatency} record's latencies) cannot be trusted,
   * or null when every answer was the expected one.
   */
  /**
   * The CPU each process used during the run, per request in microseconds (bench.sh's
   * {@code cpuMs}: the auth node, the user node, PostgreSQL and the whole machine, whose rest is
   * wrk, the idle baseline server and the kernel); null for a record without it.
   */
  static JsonObject cpuPerRequest(JsonObject r) {
    JsonObject cpu = r.getJsonObject("cpuMs");
    long requests = r.getLong("requests", 0L);
    if (cpu == null || requests <= 0) {
      return null;
    }
    JsonObject out = new JsonObject();
    for (String process : cpu.fieldNames()) {
      out.put(process, round(cpu.getLong(process) * 1000.0 / requests, 1));
    }
    return out;
  }

  static String errors(JsonObject r) {
    List<String> problems = new ArrayList<>();
    long non2xx = r.getLong("non2xx", 0L);
    long badBody = r.getLong("badBody", 0L);
    long socket = r.getLong("connectErrors", 0L) + r.getLong("readErrors", 0L) + r.getLong("writeErrors", 0L);
    long timeouts = r.getLong("timeouts", 0L);
    if (non2xx > 0) {
      problems.add(non2xx + " non-2xx " + r.getJsonObject("statuses", new JsonObject()).encode());
    }
    if (badBody > 0) {
      problems.add(badBody + " 2xx with an unexpected body");
    }
    if (socket > 0) {
      problems.add(socket + " socket errors");
    }
    if (timeouts > 0) {
      problems.add(timeouts + " timeouts");
    }
    long failed = r.getLong("failed", 0L);
    if (failed > 0) {
      problems.add(failed + " failed requests");
    }
    if (r.getLong("requests", 0L) == 0) {
      problems.add("no request completed");
    }
    if (!problems.isEmpty() && r.containsKey("firstProblem")) {
      problems.add("first: " + r.getString("firstProblem"));
    }
    return problems.isEmpty() ? null : String.join(", ", problems);
  }

  static double rate(JsonObject r) {
    return r.getLong("requests") / (r.getLong("durationUs") / 1e6);
  }

  static String markdown(JsonObject run, JsonArray rows) {
    StringBuilder md = new StringBuilder();
    md.append("Run ").append(run.getString("date", "?")).append(" on ").append(run.getString("hardware", "?"))
      .append("; measured ").append(run.getValue("durationSeconds", "?")).append(" s per scenario after ")
      .append(run.getValue("tokenWarmupSeconds", "?")).append(" s of warm-up (token scenarios) or ")
      .append(run.getValue("warmupSeconds", "?")).append(" s (the others); load average before: ")
      .append(run.getString("loadBefore", "?")).append(", after: ").append(run.getString("loadAfter", "?"))
      .append("; services: ").append(run.getString("javaOpts", "?").trim())
      .append("; PostgreSQL: ").append(run.getString("postgres", "?")).append("\n\n");
    md.append("| scenario | conns | requests/s | p50 ms | p99 ms | non-2xx | ratio | to | target | met | CPU µs/request: auth / PG / machine |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---|---|---|---:|\n");
    for (Object o : rows) {
      JsonObject row = (JsonObject) o;
      String rps;
      if (row.getString("errors") != null) {
        rps = "ERRORS: " + row.getString("errors");
      } else if (row.containsKey("rssMb")) {
        rps = row.getDouble("rssMb") + " MB RSS";
      } else if (row.containsKey("readyMs")) {
        rps = "ready in " + row.getLong("readyMs") + " ms";
      } else {
        rps = format(row.getDouble("requestsPerSecond"), 1);
      }
      Boolean met = row.getBoolean("met");
      md.append("| ").append(row.getString("scenario"))
        .append(" | ").append(row.getInteger("connections") == 0 ? "" : row.getInteger("connections"))
        .append(" | ").append(rps)
        .append(" | ").append(format(row.getDouble("p50Ms"), 2))
        .append(" | ").append(format(row.getDouble("p99Ms"), 2))
        .append(" | ").append(row.getLong("non2xx", 0L))
        .append(" | ").append(format(row.getDouble("ratio"), 3))
        .append(" | ").append(java.util.Objects.toString(row.getString("ratioTo"), ""))
        .append(" | ").append(row.getString("target", ""))
        .append(" | ").append(met == null ? "" : met ? "yes" : "**no**")
        .append(" | ").append(cpuText(row.getJsonObject("cpuUsPerRequest")))
        .append(" |\n");
    }
    return md.toString();
  }

  static String cpuText(JsonObject cpu) {
    if (cpu == null) {
      return "";
    }
    return format(cpu.getDouble("auth"), 0) + " / " + format(cpu.getDouble("postgres"), 0) + " / " + format(cpu.getDouble("machine"), 0);
  }

  static String format(Double value, int decimals) {
    return value == null ? "" : String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
