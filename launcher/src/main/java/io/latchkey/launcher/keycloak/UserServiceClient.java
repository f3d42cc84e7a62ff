package io.latchkey.launcher.keycloak;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * POST /admin/users/import of the user service, one chunk of NDJSON a request, with the JDK's
 * blocking {@link HttpClient} (a command-line tool: no event loop to keep free). The key goes in
 * {@code X-API-Key} and nowhere else: no message of this class holds it. Redirects are not
 * followed (the key would go with them).
 */
public final class UserServiceClient {

  static final String PATH = "/admin/users/import";
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** A chunk of 2,000 users takes well under a second; this only bounds a service that hangs. */
  static final Duration ANSWER_TIMEOUT = Duration.ofMinutes(5);

  /** One refused line of a chunk: its number in the chunk (from 1), code and message. */
  public record LineError(long line, String code, String message) {
  }

  /** The service's answer to a chunk; {@code errorCount} can exceed the errors listed (the service caps its list). */
  public record ChunkAnswer(long created, long skipped, long errorCount, List<LineError> errors) {
  }

  /** The import cannot go on (the service unreachable, the key refused, any answer but 200): the message says why. */
  public static final class ImportFailure extends RuntimeException {
    public ImportFailure(String message) {
      super(message, null, false, false);
    }
  }

  private final URI endpoint;
  private final String apiKey;
  private final HttpClient http;

  public UserServiceClient(URI userService, String apiKey) {
    String base = userService.toString().replaceAll("/+$", "");
    this.endpoint = URI.create(base + PATH);
    this.apiKey = apiKey;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
      .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  public URI endpoint() {
    return endpoint;
  }

  /** Posts one chunk (NDJSON, one user a line) and returns the service's summary of it. */
  public ChunkAnswer post(byte[] ndjson) {
    HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(ANSWER_TIMEOUT)
      .header("Content-Type", "application/x-ndjson").header("Accept", "application/json")
      .header("X-API-Key", apiKey)
      .POST(HttpRequest.BodyPublishers.ofByteArray(ndjson)).build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw new ImportFailure("cannot connect to the user service at " + endpoint + " (" + reason(e, "connection refused") + ")");
    } catch (HttpTimeoutException e) {
      throw new ImportFailure("the user service at " + endpoint + " did not answer in time (" + reason(e, "timed out") + ")");
    } catch (IOException e) {
      throw new ImportFailure("the request to the user service at " + endpoint + " failed: " + reason(e, e.getClass().getSimpleName()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImportFailure("interrupted while waiting for the user service");
    }
    if (response.statusCode() != 200) {
      throw new ImportFailure("the user service refused the import: " + problem(response));
    }
    try {
      return answer(new JsonObject(response.body()));
    } catch (DecodeException | ClassCastException | NullPointerException e) {
      throw new ImportFailure("the user service answered 200 with a body that is not an import summary (is "
        + endpoint + " a Latchkey user service?)");
    }
  }

  private static ChunkAnswer answer(JsonObject body) {
    List<LineError> errors = new ArrayList<>();
    JsonArray listed = body.getJsonArray("errors", new JsonArray());
    for (int i = 0; i < listed.size(); i++) {
      JsonObject error = listed.getJsonObject(i);
      errors.add(new LineError(error.getLong("line", 0L), error.getString("code", "?"), error.getString("message", "")));
    }
    long created = body.getLong("created");
    long skipped = body.getLong("skipped");
    return new ChunkAnswer(created, skipped, Math.max(errors.size(), body.getLong("errorCount", (long) errors.size())), errors);
  }

  /** {@code 401 invalid_api_key: <detail>}, from a problem document when there is one. */
  private static String problem(HttpResponse<String> response) {
    String status = "HTTP " + response.statusCode();
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (type.startsWith("application/problem+json") || type.startsWith("application/json")) {
      try {
        JsonObject problem = new JsonObject(response.body());
        String code = problem.getValue("code") instanceof String c ? c : "";
        String detail = problem.getValue("detail") instanceof String d ? d
          : problem.getValue("title") instanceof String t ? t : "";
        String hint = "invalid_api_key".equals(code) ? " (API_KEY must be a full key of the user service)" : "";
        return status + " " + code + (detail.isEmpty() ? "" : ": " + detail) + hint;
      } catch (DecodeException | ClassCastException e) {
        // reported as the bare status below
      }
    }
    return status + (response.statusCode() == 404 ? " (is this a Latchkey user service with the import endpoint?)" : "");
  }

  private static String reason(IOException e, String fallback) {
    return e.getMessage() == null || e.getMessage().isBlank() ? fallback : e.getMessage();
  }
}
