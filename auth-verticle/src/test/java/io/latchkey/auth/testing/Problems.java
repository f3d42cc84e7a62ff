package io.latchkey.auth.testing;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Assertions on the problem documents (RFC 9457) the auth service answers errors with. */
public final class Problems {

  private Problems() {
  }

  /** The response has this HTTP status and its problem document this error code. */
  public static void assertProblem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo(code);
  }
}
