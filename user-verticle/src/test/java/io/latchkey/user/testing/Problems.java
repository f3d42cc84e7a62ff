package io.latchkey.user.testing;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Assertions on the problem documents (RFC 9457) the user service answers errors with. */
public final class Problems {

  private Problems() {
  }

  /** The response is a problem document of this HTTP status and error code. */
  public static void assertProblem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo(code);
  }

  /** As {@link #assertProblem}, and the document is complete: its status repeated, a title and a type. */
  public static void assertCompleteProblem(HttpResponse<Buffer> response, int status, String code) {
    assertProblem(response, status, code);
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("title")).isNotBlank();
    assertThat(problem.getString("type")).isNotBlank();
  }
}
