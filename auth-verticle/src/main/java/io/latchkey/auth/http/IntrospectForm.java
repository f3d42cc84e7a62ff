package io.latchkey.auth.http;

import io.latchkey.common.ApiException;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The RFC 7662 introspection request as a form body: {@code token=...} (and an ignored {@code token_type_hint}). */
final class IntrospectForm {

  private IntrospectForm() {
  }

  /** The token of the form body {@code body} (null or empty: no token). */
  static String token(String body) {
    Map<String, List<String>> form = new QueryStringDecoder(body == null ? "" : body, StandardCharsets.UTF_8, false).parameters();
    List<String> tokens = form.get("token");
    if (tokens == null || tokens.isEmpty() || tokens.get(0).isEmpty()) {
      throw ApiException.validation("token", "The token to introspect is required.");
    }
    if (tokens.size() > 1) {
      throw ApiException.validation("token", "Send one token.");
    }
    return tokens.get(0);
  }
}
