package io.latchkey.auth.http;

import io.latchkey.common.ApiException;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The form bodies of the OAuth endpoints ({@code application/x-www-form-urlencoded}): RFC 7662
 * introspection and RFC 7009 revocation, {@code token=...} and an optional
 * {@code token_type_hint} (any other extension parameter is ignored). Read strictly: pairs
 * separated by {@code &} only, {@code +} for a space, every {@code %} followed by two hex
 * digits, the decoded bytes valid UTF-8. For introspection ({@link #token}) anything else is 400
 * {@code malformed_request}, and no token, an empty one or two of them are 400
 * {@code validation_failed}; revocation ({@link #read}) maps the same faults to its own answer.
 * No exception of this class ever carries a part of the body: the body holds a live token, and
 * an exception's message may end up in a log line.
 */
final class IntrospectForm {

  /** A form body with more parameters than this is not an introspection request. */
  static final int MAX_PARAMETERS = 16;

  /** What a form body asks: its token (null: none sent), its hint (null: none), and whether a hint came twice. */
  record Request(String token, String tokenTypeHint, boolean hintRepeated) {
  }

  /** Why a body is not a form this class reads; its message is plain prose, never a part of the body. */
  static final class Refused extends RuntimeException {
    /** True for a second {@code token} parameter; false for a body that is not a well-formed form. */
    final boolean repeatedToken;

    Refused(String message, boolean repeatedToken) {
      super(message, null, false, false);
      this.repeatedToken = repeatedToken;
    }
  }

  private IntrospectForm() {
  }

  /** The token of the introspection form body {@code body} (null or empty: no token). */
  static String token(String body) {
    Request request;
    try {
      request = read(body);
    } catch (Refused refused) {
      throw refused.repeatedToken ? ApiException.validation("token", "Send one token.") : ApiException.malformed(refused.getMessage());
    }
    if (request.token() == null || request.token().isEmpty()) {
      throw ApiException.validation("token", "The token to introspect is required.");
    }
    return request.token();
  }

  /** Reads the form body {@code body} (null: empty); {@link Refused} for a malformed body or a second token. */
  static Request read(String body) {
    String text = body == null ? "" : body;
    String token = null;
    String hint = null;
    boolean hintRepeated = false;
    int parameters = 0;
    int from = 0;
    while (from < text.length()) {
      int amp = text.indexOf('&', from);
      int to = amp < 0 ? text.length() : amp;
      if (to > from) {
        if (++parameters > MAX_PARAMETERS) {
          throw new Refused("The form body has too many parameters.", false);
        }
        int eq = text.indexOf('=', from);
        boolean hasValue = eq >= 0 && eq < to;
        String name = decode(text, from, hasValue ? eq : to);
        String value = hasValue ? decode(text, eq + 1, to) : "";
        if (name.equals("token")) {
          if (token != null) {
            throw new Refused("Send one token.", true);
          }
          token = value;
        } else if (name.equals("token_type_hint")) {
          hintRepeated |= hint != null;
          hint = value;
        }
      }
      from = to + 1;
    }
    return new Request(token, hint, hintRepeated);
  }

  /** One form-encoded component (a name, a value, or RFC 6749's encoded client id and secret), decoded. */
  static String decodeComponent(String text) {
    return decode(text, 0, text.length());
  }

  /** One name or value, {@code text[from, to)}, form-decoded. */
  private static String decode(String text, int from, int to) {
    ByteBuffer bytes = ByteBuffer.allocate(to - from);
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c == '+') {
        bytes.put((byte) ' ');
      } else if (c == '%') {
        int high = i + 2 < to ? hex(text.charAt(i + 1)) : -1;
        int low = i + 2 < to ? hex(text.charAt(i + 2)) : -1;
        if (high < 0 || low < 0) {
          throw new Refused("The form body has an invalid percent-encoding.", false);
        }
        bytes.put((byte) (high * 16 + low));
        i += 2;
      } else if (c < 0x21 || c > 0x7e) {
        // a form body is ASCII: other characters arrive percent-encoded
        throw new Refused("The form body has a character that must be percent-encoded.", false);
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = utf8.decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new Refused("The form body's percent-encoded bytes are not UTF-8.", false);
    }
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
