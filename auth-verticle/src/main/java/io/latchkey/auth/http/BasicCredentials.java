package io.latchkey.auth.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code Authorization: Basic} as stock RFC 7662 clients send it (RFC 7617, with RFC 6749 section
 * 2.3.1's rule that the client id and the secret are form-urlencoded before they are joined by
 * a colon and base64-encoded). The client id is not checked (any will do); the secret is the
 * key. Clients that skip the form-encoding exist (a key holding {@code +} or {@code %} would then
 * arrive decoded wrongly), so the secret as sent is a second candidate when it differs from its
 * decoding: whoever knows a key gets in either way, nobody else by either. Nothing here logs or
 * throws with a part of the header.
 */
final class BasicCredentials {

  /** The challenge of every 401 of an endpoint that takes Basic credentials. */
  static final String CHALLENGE = "Basic realm=\"latchkey\"";
  private static final String SCHEME = "Basic ";

  private BasicCredentials() {
  }

  /** True when the header value uses the Basic scheme (without regard to case). */
  static boolean isBasic(String header) {
    return header != null && header.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
  }

  /**
   * The secrets a Basic header presents (its decoded secret, then the secret as sent when that
   * differs), or an empty list when the header is not Basic or is malformed: not base64, not
   * UTF-8, no colon, or an empty secret.
   */
  static List<String> secrets(String header) {
    if (!isBasic(header)) {
      return List.of();
    }
    String credentials;
    try {
      byte[] bytes = Base64.getDecoder().decode(header.substring(SCHEME.length()).trim());
      credentials = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return List.of();
    }
    int colon = credentials.indexOf(':');
    if (colon < 0) {
      return List.of();
    }
    String sent = credentials.substring(colon + 1);
    List<String> secrets = new ArrayList<>(2);
    try {
      String decoded = IntrospectForm.decodeComponent(sent);
      if (!decoded.isEmpty()) {
        secrets.add(decoded);
      }
    } catch (IntrospectForm.Refused notFormEncoded) {
      // not a valid form-encoding: only the secret as sent remains
    }
    if (!sent.isEmpty() && !secrets.contains(sent)) {
      secrets.add(sent);
    }
    return List.copyOf(secrets);
  }
}
