package io.latchkey.bench;

import io.latchkey.bench.SequentialLatency.Answer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SequentialLatencyTest {

  @Test
  void percentilesAreNearestRankOverTheSortedTimes() {
    long[] hundred = new long[100];
    for (int i = 0; i < 100; i++) {
      hundred[i] = (i + 1) * 1000L;
    }
    assertThat(SequentialLatency.percentile(hundred, 50)).isEqualTo(50_000L);
    assertThat(SequentialLatency.percentile(hundred, 99)).isEqualTo(99_000L);
    // with fewer answers (a bounded slow search) p99 is the largest
    assertThat(SequentialLatency.percentile(new long[] {10, 20, 30}, 99)).isEqualTo(30L);
    assertThat(SequentialLatency.percentile(new long[] {10, 20, 30}, 50)).isEqualTo(20L);
    assertThat(SequentialLatency.percentile(new long[0], 50)).isNull();
  }

  @Test
  void aSearchPageMustHoldTheExpectedNumberOfItems() {
    assertThat(SequentialLatency.problem(200, "{\"items\":[{},{}],\"nextCursor\":null}", 2)).isNull();
    assertThat(SequentialLatency.problem(200, "{\"items\":[],\"nextCursor\":null}", 2)).isEqualTo("0 items, 2 expected");
    assertThat(SequentialLatency.problem(200, "{\"nothing\":1}", 0)).isEqualTo("body without items");
    assertThat(SequentialLatency.problem(200, "<html>", 0)).isEqualTo("body not a JSON object");
    assertThat(SequentialLatency.problem(503, "{}", null)).isEqualTo("status 503");
    assertThat(SequentialLatency.problem(200, "{\"email\":\"a@b.test\"}", null)).isNull();
  }

  @Test
  void theRecordCountsWhatWentWrongAndTakesPercentilesOfEveryAnswer() {
    List<Answer> answers = new ArrayList<>();
    for (int i = 1; i <= 97; i++) {
      answers.add(new Answer(i * 100L, 200, null));
    }
    answers.add(new Answer(50_000L, 503, "status 503"));
    answers.add(new Answer(60_000L, 200, "1 items, 2 expected"));
    answers.add(new Answer(70_000L, 0, "failed: HttpTimeoutException"));

    JsonObject record = SequentialLatency.record("search-none", 100, answers, 1_000_000L);

    assertThat(record.getString("kind")).isEqualTo("sequential");
    assertThat(record.getInteger("n")).isEqualTo(100);
    assertThat(record.getLong("p50Us")).isEqualTo(5_000L);
    assertThat(record.getLong("p99Us")).isEqualTo(60_000L);
    assertThat(record.getLong("maxUs")).isEqualTo(70_000L);
    assertThat(record.getLong("non2xx")).isEqualTo(1L);
    assertThat(record.getLong("badBody")).isEqualTo(1L);
    assertThat(record.getLong("failed")).isEqualTo(1L);
    assertThat(record.getString("firstProblem")).isEqualTo("status 503");
    assertThat(record.getJsonObject("statuses")).isEqualTo(new JsonObject().put("200", 98L).put("503", 1L));
    assertThat(BenchReport.errors(record)).isEqualTo("1 non-2xx {\"200\":98,\"503\":1}, 1 2xx with an unexpected body, "
      + "1 failed requests, first: status 503");
  }
}
