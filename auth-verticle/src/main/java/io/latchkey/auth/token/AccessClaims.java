package io.latchkey.auth.token;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * The verified claims of an access token.
 *
 * @param generation the user's token generation when the token was issued ({@code gen} claim):
 *                   a roles change or a deletion raises the user's generation, and tokens of an
 *                   older generation are no longer accepted. A counter, not a clock, so that no
 *                   whole-second {@code iat} comparison (and no clock skew) decides.
 * @param amr        how the session was authenticated (RFC 8176 values, {@code amr} claim): {@link #PASSWORD}
 *                   {@link #PASSWORD_AND_OTP} or {@link #PASSKEY}; a token issued before the claim existed reads as
 *                   {@link #PASSWORD}
 */
public record AccessClaims(String issuer, String audience, String userId, String sessionId, String tokenId,
                           long issuedAt, long expiresAt, List<String> roles, String username, long generation,
                           List<String> amr) {

  /** A password login. */
  public static final List<String> PASSWORD = List.of("pwd");
  /** A password and a one-time password (TOTP or a recovery code): a multi-factor login. */
  public static final List<String> PASSWORD_AND_OTP = List.of("pwd", "otp", "mfa");
  /**
   * A passkey alone: proof of a hardware-bound key ({@code hwk}) with a user presence test
   * ({@code user}); user verification is required, so the key was unlocked by the person too, a
   * second factor ({@code mfa}). Whether by PIN or fingerprint the assertion does not say, so
   * neither {@code pin} nor {@code fpt} is claimed.
   */
  public static final List<String> PASSKEY = List.of("hwk", "user", "mfa");

  public AccessClaims {
    roles = List.copyOf(roles);
    amr = amr == null || amr.isEmpty() ? PASSWORD : List.copyOf(amr);
  }

  /** Claims of a password login. */
  public AccessClaims(String issuer, String audience, String userId, String sessionId, String tokenId,
                      long issuedAt, long expiresAt, List<String> roles, String username, long generation) {
    this(issuer, audience, userId, sessionId, tokenId, issuedAt, expiresAt, roles, username, generation, PASSWORD);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /** The validate-token answer for a valid token. */
  public JsonObject toValidateJson() {
    return new JsonObject()
      .put("valid", true)
      .put("userId", userId)
      .put("sessionId", sessionId)
      .put("username", username)
      .put("roles", new JsonArray(roles))
      .put("amr", new JsonArray(amr))
      .put("expiresAt", Instant.ofEpochSecond(expiresAt).toString());
  }

  /**
   * {@link #toValidateJson()} as JSON text, written by Jackson's streaming generator: the same
   * text as {@code toValidateJson().encode()} without building a map to serialise (every
   * validate-token answers one; the verified-token memory keeps the claims, not the text, so its
   * size per entry does not grow).
   */
  public String validateJsonText() {
    return write(g -> {
      g.writeBooleanField("valid", true);
      g.writeStringField("userId", userId);
      g.writeStringField("sessionId", sessionId);
      g.writeStringField("username", username);
      writeArray(g, "roles", roles);
      writeArray(g, "amr", amr);
      g.writeStringField("expiresAt", Instant.ofEpochSecond(expiresAt).toString());
    });
  }

  /** {@link #toIntrospectionJson()} as JSON text, as {@link #validateJsonText()}. */
  public String introspectionJsonText() {
    return write(g -> {
      g.writeBooleanField("active", true);
      g.writeStringField("sub", userId);
      g.writeStringField("sid", sessionId);
      g.writeStringField("username", username);
      writeArray(g, "roles", roles);
      writeArray(g, "amr", amr);
      g.writeNumberField("exp", expiresAt);
      g.writeNumberField("iat", issuedAt);
      g.writeStringField("iss", issuer);
      g.writeStringField("aud", audience);
      g.writeStringField("jti", tokenId);
      g.writeStringField("token_type", "Bearer");
    });
  }

  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static final JsonFactory JSON = new JsonFactory();

  private static String write(Fields fields) {
    StringWriter out = new StringWriter(384);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void writeArray(JsonGenerator g, String name, List<String> values) throws IOException {
    g.writeArrayFieldStart(name);
    for (String value : values) {
      g.writeString(value);
    }
    g.writeEndArray();
  }

  /** The RFC 7662 introspection answer for an active token. */
  public JsonObject toIntrospectionJson() {
    return new JsonObject()
      .put("active", true)
      .put("sub", userId)
      .put("sid", sessionId)
      .put("username", username)
      .put("roles", new JsonArray(roles))
      .put("amr", new JsonArray(amr))
      .put("exp", expiresAt)
      .put("iat", issuedAt)
      .put("iss", issuer)
      .put("aud", audience)
      .put("jti", tokenId)
      .put("token_type", "Bearer");
  }
}
