package io.latchkey.user.model;

import io.latchkey.common.bus.Credentials;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/** A user as stored. Only {@link #toPublicJson()} leaves the service over HTTP; it never holds the hash. */
public record User(UUID id, String username, String email, String displayName, List<String> roles,
                   String passwordHash, long passwordVersion, Instant passwordChangedAt, Instant createdAt,
                   Instant updatedAt, boolean emailVerified, boolean disabled, boolean totpEnabled) {

  /** The second factors a password login must complete, as {@code mfa} lists them (recovery codes come with TOTP). */
  public List<String> mfa() {
    return totpEnabled ? List.of(Credentials.TOTP) : List.of();
  }

  /** The user representation of the API (schema User in openapi/user-service.json). */
  public JsonObject toPublicJson() {
    return new JsonObject()
      .put("id", id.toString())
      .put("username", username)
      .put("email", email)
      .put("emailVerified", emailVerified)
      .put("displayName", displayName)
      .put("roles", new JsonArray(roles))
      .put("disabled", disabled)
      .put("mfa", new JsonArray(mfa()))
      .put("createdAt", timestamp(createdAt))
      .put("updatedAt", timestamp(updatedAt));
  }

  /**
   * What the auth service needs to check a password and build a token (bus only). Its
   * {@code updatedAt} is the user's last change of any kind (email, roles, password): the auth
   * service orders cache fills and roles by it, so it must move when roles move (and when a
   * second factor is enabled or removed). {@code mfa} names the factors on, never a secret.
   */
  public Credentials credentials() {
    return new Credentials(id.toString(), username, email, roles, passwordHash, passwordVersion, updatedAt, emailVerified,
      disabled, mfa());
  }

  /** ISO-8601 UTC with millisecond precision, the way every timestamp of this service is written. */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
