package io.latchkey.common;

import io.vertx.core.http.HttpServerRequest;

import java.util.List;

/**
 * Reads {@code X-API-Key} for both services. A request must send it at most once: with two
 * header lines, one proxy or framework may read the first and another the last, so a request
 * carrying two is refused (401 {@code invalid_api_key}) whatever they hold.
 */
public final class ApiKeyHeader {

  public static final String NAME = "X-API-Key";

  /** What a request presented: nothing, one key, or more than one header line. */
  public record Presented(String key, boolean repeated) {
    /** True when the request sent the header at all (once or more). */
    public boolean sent() {
      return repeated || key != null;
    }
  }

  private ApiKeyHeader() {
  }

  public static Presented of(HttpServerRequest request) {
    List<String> values = request.headers().getAll(NAME);
    if (values.isEmpty()) {
      return new Presented(null, false);
    }
    if (values.size() > 1) {
      return new Presented(null, true);
    }
    return new Presented(values.get(0), false);
  }
}
