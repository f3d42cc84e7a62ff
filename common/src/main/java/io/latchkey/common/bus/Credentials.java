package io.latchkey.common.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/**
 * Reply of {@code BusAddresses.USER_CREDENTIALS}: what the auth service needs to check a
 * password, decide whether the account may log in, and build a token. Only travels on the
 * (key-checked) bus, never over public HTTP. {@code emailVerified} and {@code disabled} are absent
 * in a reply from a user service older than the second release: read as false.
 */
public record Credentials(String userId, String username, String email, List<String> roles,
                          String passwordHash, long passwordVersion, Instant updatedAt, boolean emailVerified,
                          boolean disabled) {

  public JsonObject toJson() {
    return new JsonObject()
      .put("userId", userId)
      .put("username", username)
      .put("email", email)
      .put("roles", new JsonArray(roles))
      .put("passwordHash", passwordHash)
      .put("passwordVersion", passwordVersion)
      .put("updatedAt", updatedAt.toString())
      .put("emailVerified", emailVerified)
      .put("disabled", disabled);
  }

  public static Credentials fromJson(JsonObject json) {
    @SuppressWarnings("unchecked")
    List<String> roles = json.getJsonArray("roles", new JsonArray()).getList();
    return new Credentials(json.getString("userId"), json.getString("username"), json.getString("email"),
      List.copyOf(roles), json.getString("passwordHash"), json.getLong("passwordVersion", 1L),
      Instant.parse(json.getString("updatedAt")), json.getBoolean("emailVerified", false),
      json.getBoolean("disabled", false));
  }
}
