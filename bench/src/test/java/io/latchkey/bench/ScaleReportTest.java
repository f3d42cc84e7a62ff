package io.latchkey.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScaleReportTest {

  private static JsonObject level(JsonObject record, long level) {
    return new JsonObject().put("scaleUsers", level).put("scaleSessions", level).mergeIn(record);
  }

  private static JsonObject wrk(String scenario, int connections, long requests, long non2xx) {
    return new JsonObject().put("kind", "wrk").put("scenario", scenario).put("connections", connections)
      .put("requests", requests).put("durationUs", 10_000_000L).put("p50Us", 1500L).put("p90Us", 3000L).put("p99Us", 9000L)
      .put("maxUs", 20_000L).put("non2xx", non2xx).put("badBody", 0L).put("connectErrors", 0L).put("readErrors", 0L)
      .put("writeErrors", 0L).put("timeouts", 0L).put("statuses", new JsonObject().put("200", requests - non2xx));
  }

  private static JsonObject search(String scenario, String term, long matches, long p50Us, long p99Us, long non2xx) {
    return new JsonObject().put("kind", "sequential").put("scenario", scenario).put("term", term).put("matches", matches)
      .put("count", 100).put("n", 100).put("requests", 100).put("p50Us", p50Us).put("p99Us", p99Us).put("maxUs", p99Us + 1)
      .put("non2xx", non2xx).put("badBody", 0L).put("failed", 0L)
      .put("statuses", new JsonObject().put("200", 100 - non2xx).put("503", non2xx));
  }

  private static JsonObject storage(long sessionsBefore, long sessionsAfter, long hashesBefore, long hashesAfter, long rowsAfter) {
    return new JsonObject().put("kind", "refresh-storage")
      .put("sessionsBytesBefore", sessionsBefore).put("sessionsBytesAfter", sessionsAfter)
      .put("tokenHashBytesBefore", hashesBefore).put("tokenHashBytesAfter", hashesAfter)
      .put("tokenHashRowsBefore", 0L).put("tokenHashRowsAfter", rowsAfter).put("vacuumsBefore", 3L).put("vacuumsAfter", 3L);
  }

  private static JsonObject find(JsonArray rows, long level, String measure) {
    return rows.stream().map(JsonObject.class::cast)
      .filter(r -> r.getLong("scaleUsers") == level && measure.equals(r.getString("measure"))).findFirst().orElseThrow();
  }

  private static List<JsonObject> twoLevels() {
    List<JsonObject> raw = new ArrayList<>();
    raw.add(wrk("baseline", 64, 500_000, 0));   // the main table's, without a level
    for (long lvl : new long[] {0, 1_000_000}) {
      raw.add(level(new JsonObject().put("kind", "seed").put("usersRows", lvl + 50).put("sessionsRows", lvl + 400)
        .put("addedUsers", lvl).put("addedSessions", lvl).put("usersSeconds", 120.5).put("sessionsSeconds", 150.25)
        .put("vacuumAnalyzeSeconds", 4.0), lvl));
      raw.add(level(new JsonObject().put("kind", "scale-ready").put("userReadyMs", 2100L).put("authReadyMs", 3300L)
        .put("loadBefore", "1.00 2.00 3.00"), lvl));
      raw.add(level(new JsonObject().put("kind", "bounds").put("bcryptBoundPerSecond", 25.0)
        .put("rs256SignBoundPerSecond", lvl == 0 ? 2000.0 : 1600.0), lvl));
      raw.add(level(wrk("baseline", 64, 400_000, 0), lvl));
      raw.add(level(wrk("validate-token", 64, 200_000, 0), lvl));
      raw.add(level(wrk("refresh", 64, 8_000, 0), lvl));
      raw.add(level(storage(1_000_000, 3_000_000, 0, 1_600_000, 8_000), lvl));
      raw.add(level(wrk("login", 16, 250, lvl == 0 ? 0 : 2), lvl));
      raw.add(level(search("search-none", "zebulon", 0, lvl == 0 ? 500 : 4_000_000, lvl == 0 ? 900 : 4_800_000, 0), lvl));
    }
    return raw;
  }

  @Test
  void eachLevelGetsItsRowsAndTheMainTableKeepsNone() {
    List<JsonObject> raw = twoLevels();
    JsonArray scale = ScaleReport.rows(raw);

    assertThat(scale.stream().map(JsonObject.class::cast).allMatch(r -> "scale".equals(r.getString("table")))).isTrue();
    assertThat(find(scale, 1_000_000, "tables").getLong("usersRows")).isEqualTo(1_000_050L);
    assertThat(find(scale, 1_000_000, "search-none").getDouble("p99Ms")).isEqualTo(4800.0);
    assertThat(find(scale, 0, "search-none").getDouble("p50Ms")).isEqualTo(0.5);
    assertThat(find(scale, 0, "refresh").getDouble("requestsPerSecond")).isEqualTo(800.0);

    List<JsonObject> withMainBounds = new ArrayList<>(raw);
    withMainBounds.add(0, new JsonObject().put("kind", "bounds").put("bcryptBoundPerSecond", 28.0).put("bcryptVerifyMedianMs", 70.0)
      .put("bcryptThreads", 2).put("bcryptCost", 10).put("rs256SignBoundPerSecond", 4000.0).put("rs256SignMedianMs", 0.5)
      .put("signingThreads", 2));
    JsonArray main = BenchReport.rows(withMainBounds);
    assertThat(main.stream().map(JsonObject.class::cast).map(r -> r.getString("scenario")))
      .containsExactly("baseline", "bcrypt-bound", "rs256-sign-bound");
    // the main table's bounds are the run's own, not a level's
    assertThat(main.getJsonObject(2).getDouble("requestsPerSecond")).isEqualTo(4000.0);
  }

  @Test
  void ratesAreComparedWithTheBoundsAndBaselineOfTheirOwnLevel() {
    JsonArray scale = ScaleReport.rows(twoLevels());

    assertThat(find(scale, 0, "refresh").getDouble("ratio")).isEqualTo(0.4);
    assertThat(find(scale, 1_000_000, "refresh").getDouble("ratio")).isEqualTo(0.5);
    assertThat(find(scale, 0, "refresh").getString("ratioTo")).isEqualTo("rs256-sign-bound");
    assertThat(find(scale, 0, "login").getDouble("ratio")).isEqualTo(1.0);
    assertThat(find(scale, 0, "validate-token").getDouble("ratio")).isEqualTo(0.5);
    assertThat(find(scale, 0, "baseline").getValue("ratio")).isNull();
    assertThat(ScaleReport.markdown(scale))
      .contains("| refresh, 64 connections: requests/s (p99 ms), ratio to the level's rs256-sign-bound | 800.0 (9.0), 0.400 | 800.0 (9.0), 0.500 |")
      .contains("| bounds measured alone at this level: bcrypt / RS256 signing, per s | 25.0 / 2000.0 | 25.0 / 1600.0 |");
  }

  @Test
  void bytesPerRefreshAreTheGrowthOfBothTablesOverTheRefreshesAnswered() {
    JsonObject storage = find(ScaleReport.rows(twoLevels()), 0, "refresh-storage");

    assertThat(storage.getLong("refreshes")).isEqualTo(8_000L);
    assertThat(storage.getDouble("sessionsBytesPerRefresh")).isEqualTo(250.0);
    assertThat(storage.getDouble("tokenHashBytesPerRefresh")).isEqualTo(200.0);
    assertThat(storage.getDouble("bytesPerRefresh")).isEqualTo(450.0);
    assertThat(storage.getDouble("tokenHashRowsPerRefresh")).isEqualTo(1.0);
    assertThat(storage.getLong("vacuumsDuring")).isZero();
  }

  @Test
  void aMeasureWithErrorsShowsThemInsteadOfAFigure() {
    List<JsonObject> raw = twoLevels();
    raw.add(level(search("search-rare", "quzzane", 4, 1000, 2000, 3).put("firstProblem", "status 503"), 1_000_000));
    JsonArray scale = ScaleReport.rows(raw);

    assertThat(find(scale, 1_000_000, "login").getValue("requestsPerSecond")).isNull();
    assertThat(find(scale, 1_000_000, "login").getString("errors")).contains("2 non-2xx");
    assertThat(find(scale, 1_000_000, "search-rare").getValue("p99Ms")).isNull();
    assertThat(find(scale, 1_000_000, "search-rare").getString("errors")).contains("3 non-2xx").contains("status 503");

    String md = ScaleReport.markdown(scale);
    assertThat(md).contains("| | 0 users / 0 sessions | 1,000,000 users / 1,000,000 sessions |");
    assertThat(md).contains("| search, a term that matches nothing \"zebulon\": p50 / p99 ms (n, matching users) | 0.5 / 0.9 (100, 0) | 4000.0 / 4800.0 (100, 0) |");
    assertThat(md).contains("| login, 16 connections: requests/s (p99 ms), ratio to the level's bcrypt-bound | 25.0 (9.0), 1.000 | ERRORS: 2 non-2xx");
    assertThat(md).contains("| seeding this level: users + sessions + VACUUM ANALYZE and CHECKPOINT, s | none | 120.5 + 150.3 + 4.0 |");
    assertThat(md).contains("250 + 200 = 450 (1.00)");
  }

  @Test
  void withoutScaleRecordsThereIsNoTable() {
    assertThat(ScaleReport.rows(List.of(wrk("baseline", 16, 1000, 0)))).isEmpty();
    assertThat(ScaleReport.markdown(new JsonArray())).isEmpty();
  }
}
