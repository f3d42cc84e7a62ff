package io.latchkey.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BenchReportTest {

  private static JsonObject wrk(String scenario, int connections, long requests, long non2xx, long badBody, long timeouts) {
    return new JsonObject().put("kind", "wrk").put("scenario", scenario).put("connections", connections)
      .put("requests", requests).put("durationUs", 10_000_000L).put("p50Us", 1500L).put("p90Us", 3000L).put("p99Us", 9000L)
      .put("maxUs", 20_000L).put("non2xx", non2xx).put("badBody", badBody).put("connectErrors", 0L).put("readErrors", 0L)
      .put("writeErrors", 0L).put("timeouts", timeouts).put("statuses", new JsonObject().put("200", requests - non2xx));
  }

  private static JsonObject row(JsonArray rows, String scenario, int connections) {
    return rows.stream().map(JsonObject.class::cast)
      .filter(r -> r.getString("scenario").equals(scenario) && r.getInteger("connections") == connections)
      .findFirst().orElseThrow();
  }

  @Test
  void ratiosAreToTheBaselineOfTheSameConnectionsAndToTheMeasuredBounds() {
    JsonObject bounds = new JsonObject().put("kind", "bounds").put("bcryptBoundPerSecond", 28.0).put("bcryptVerifyMedianMs", 70.0)
      .put("bcryptThreads", 2).put("bcryptCost", 10).put("rs256SignBoundPerSecond", 2000.0).put("rs256SignMedianMs", 1.0)
      .put("signingThreads", 2).put("bcryptLoopPerSecond", 23.8).put("rs256SignLoopPerSecond", 1540.0);
    JsonArray rows = BenchReport.rows(List.of(bounds,
      wrk("baseline", 16, 1_000_000, 0, 0, 0),
      wrk("baseline", 64, 800_000, 0, 0, 0),
      wrk("validate-token", 16, 400_000, 0, 0, 0),
      wrk("login", 16, 270, 0, 0, 0),
      wrk("refresh", 64, 10_000, 0, 0, 0)));

    JsonObject validate = row(rows, "validate-token", 16);
    assertThat(validate.getDouble("requestsPerSecond")).isEqualTo(40_000.0);
    assertThat(validate.getDouble("ratio")).isEqualTo(0.4);
    assertThat(validate.getString("ratioTo")).isEqualTo("baseline");
    assertThat(validate.getBoolean("met")).isFalse();
    assertThat(row(rows, "login", 16).getDouble("ratio")).isEqualTo(0.964);
    assertThat(row(rows, "login", 16).getBoolean("met")).isTrue();
    assertThat(row(rows, "refresh", 64).getDouble("ratio")).isEqualTo(0.5);
    assertThat(row(rows, "refresh", 64).getString("ratioTo")).isEqualTo("rs256-sign-bound");
    assertThat(row(rows, "bcrypt-loop", 0).getDouble("ratio")).isEqualTo(0.85);
    assertThat(row(rows, "bcrypt-loop", 0).getString("ratioTo")).isEqualTo("bcrypt-bound");
    assertThat(row(rows, "rs256-sign-loop", 0).getDouble("ratio")).isEqualTo(0.77);
    assertThat(row(rows, "rs256-sign-loop", 0).getString("ratioTo")).isEqualTo("rs256-sign-bound");
  }

  @Test
  void theCpuOfARunIsGivenPerRequest() {
    JsonObject record = wrk("refresh", 16, 10_000, 0, 0, 0)
      .put("cpuMs", new JsonObject().put("auth", 18_000).put("user", 300).put("postgres", 4_000).put("machine", 27_500));
    JsonObject cpu = row(BenchReport.rows(List.of(record)), "refresh", 16).getJsonObject("cpuUsPerRequest");
    assertThat(cpu.getDouble("auth")).isEqualTo(1_800.0);
    assertThat(cpu.getDouble("postgres")).isEqualTo(400.0);
    assertThat(cpu.getDouble("machine")).isEqualTo(2_750.0);
    assertThat(BenchReport.cpuText(cpu)).isEqualTo("1800 / 400 / 2750");
    assertThat(row(BenchReport.rows(List.of(wrk("refresh", 16, 10_000, 0, 0, 0))), "refresh", 16).getValue("cpuUsPerRequest")).isNull();
  }

  @Test
  void refreshWithEdDsaIsComparedWithRefreshWithRs256AndTheEdDsaBoundWithTheRs256One() {
    JsonObject bounds = new JsonObject().put("kind", "bounds").put("bcryptBoundPerSecond", 28.0).put("bcryptVerifyMedianMs", 70.0)
      .put("bcryptThreads", 2).put("bcryptCost", 10).put("rs256SignBoundPerSecond", 2000.0).put("rs256SignMedianMs", 1.0)
      .put("eddsaSignBoundPerSecond", 40_000.0).put("eddsaSignMedianMs", 0.05).put("signingThreads", 2);
    JsonArray rows = BenchReport.rows(List.of(bounds,
      wrk("baseline", 16, 1_000_000, 0, 0, 0),
      wrk("refresh", 16, 10_000, 0, 0, 0),
      wrk("refresh", 64, 11_000, 0, 0, 0),
      wrk("refresh-eddsa", 16, 20_000, 0, 0, 0),
      wrk("refresh-eddsa", 64, 15_000, 0, 0, 0),
      wrk("validate-token-eddsa", 16, 600_000, 0, 0, 0)));

    assertThat(row(rows, "refresh-eddsa", 16).getDouble("ratio")).isEqualTo(2.0);
    assertThat(row(rows, "refresh-eddsa", 16).getString("ratioTo")).isEqualTo("refresh");
    assertThat(row(rows, "refresh-eddsa", 16).getBoolean("met")).isTrue();
    assertThat(row(rows, "refresh-eddsa", 64).getDouble("ratio")).isEqualTo(1.364);
    assertThat(row(rows, "refresh-eddsa", 64).getBoolean("met")).isFalse();
    assertThat(row(rows, "validate-token-eddsa", 16).getDouble("ratio")).isEqualTo(0.6);
    assertThat(row(rows, "validate-token-eddsa", 16).getBoolean("met")).isTrue();
    JsonObject bound = row(rows, "eddsa-sign-bound", 0);
    assertThat(bound.getDouble("requestsPerSecond")).isEqualTo(40_000.0);
    assertThat(bound.getDouble("ratio")).isEqualTo(20.0);
    assertThat(bound.getString("ratioTo")).isEqualTo("rs256-sign-bound");
  }

  @Test
  void aScenarioWithNon2xxBadBodiesOrTimeoutsReportsErrorsInsteadOfARate() {
    JsonArray rows = BenchReport.rows(List.of(
      wrk("baseline", 16, 1_000_000, 0, 0, 0),
      wrk("validate-token", 16, 400_000, 3, 0, 0),
      wrk("introspect", 16, 400_000, 0, 5, 0),
      wrk("me", 16, 40_000, 0, 0, 2)));

    for (String scenario : List.of("validate-token", "introspect", "me")) {
      JsonObject r = row(rows, scenario, 16);
      assertThat(r.getValue("requestsPerSecond")).as(scenario).isNull();
      assertThat(r.getValue("ratio")).as(scenario).isNull();
      assertThat(r.getBoolean("met")).as(scenario).isFalse();
      assertThat(r.getString("errors")).as(scenario).isNotBlank();
    }
    assertThat(row(rows, "validate-token", 16).getLong("non2xx")).isEqualTo(3);
    assertThat(row(rows, "introspect", 16).getString("errors")).contains("unexpected body");
    assertThat(BenchReport.markdown(new JsonObject(), rows)).contains("ERRORS: 3 non-2xx");
  }

  @Test
  void validationUnderLoginIsJudgedOnItsP99AndMemoryAndStartOnTheirLimits() {
    JsonArray rows = BenchReport.rows(List.of(
      wrk("validate-under-login", 16, 100_000, 0, 0, 0),
      wrk("validate-paced-under-login", 16, 30_000, 0, 0, 0),
      wrk("login-under-load", 16, 150, 0, 0, 0),
      new JsonObject().put("kind", "process").put("role", "auth").put("rssKb", 300L * 1024).put("readyMs", 2500L)));

    assertThat(row(rows, "validate-under-login", 16).getDouble("p99Ms")).isEqualTo(9.0);
    assertThat(row(rows, "validate-under-login", 16).getBoolean("met")).isTrue();
    // informative rows: no ratio to the baseline, no verdict
    assertThat(row(rows, "validate-paced-under-login", 16).getValue("ratio")).isNull();
    assertThat(row(rows, "validate-paced-under-login", 16).getValue("met")).isNull();
    assertThat(row(rows, "login-under-load", 16).getValue("met")).isNull();
    assertThat(row(rows, "rss-auth", 0).getBoolean("met")).isFalse();
    assertThat(row(rows, "rss-auth", 0).getDouble("rssMb")).isEqualTo(300.0);
    assertThat(row(rows, "ready-auth", 0).getBoolean("met")).isTrue();
  }
}
