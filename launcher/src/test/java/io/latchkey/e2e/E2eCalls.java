package io.latchkey.e2e;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the end-to-end tests share to read answers: claims, problems, and descriptions that never print a token. */
final class E2eCalls {

  private E2eCalls() {
  }

  static JsonObject jwtClaims(String token) {
    String[] parts = token.split("\\.");
    assertThat(parts).hasSize(3);
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
  }

  static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  static void assertProblem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(describe(response)).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(response.bodyAsJsonObject().getString("code")).as(describe(response)).isEqualTo(code);
  }

  /** A response for a failure message; a token pair is named by its session, never printed. */
  static String describe(HttpResponse<Buffer> response) {
    String body = response.bodyAsString();
    if (body != null && body.contains("\"accessToken\"")) {
      return response.statusCode() + " a token pair of session " + response.bodyAsJsonObject().getString("sessionId");
    }
    return response.statusCode() + " " + body;
  }
}
