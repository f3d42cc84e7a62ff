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
 *
 * <p>{@code mfa} lists the second factors a password login must complete ({@code "totp"}), as in
 * the user representation; absent (an older user service) reads as none. It says only that a
 * factor is on: no secret of it ever travels.
 */
public record Credentials(String userId, String username, String email, List<String> roles,
                          String passwordHash, long passwordVersion, Instant updatedAt, boolean emailVerified,
                          boolean disabled, List<String> mfa) {

  /** The second factor a user enables with TOTP, as {@code mfa} names it. */
  public static final String TOTP = "totp";

  public Credentials {
    roles = List.copyOf(roles);
    mfa = mfa == null ? List.of() : List.copyOf(mfa);
  }

  /** A user with no second factor. */
  public Credentials(String userId, String username, String email, List<String> roles, String passwordHash,
                     long passwordVersion, Instant updatedAt, boolean emailVerified, boolean disabled) {
    this(userId, username, email, roles, passwordHash, passwordVersion, updatedAt, emailVerified, disabled, List.of());
  }

  /** True when a password alone does not finish a login. */
  public boolean secondFactorRequired() {
    return !mfa.isEmpty();
  }

  /** The same user with these second factors. */
  public Credentials withMfa(List<String> factors) {
    return new Credentials(userId, username, email, roles, passwordHash, passwordVersion, updatedAt, emailVerified, disabled,
      factors);
  }

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
      .put("disabled", disabled)
      .put("mfa", new JsonArray(mfa));
  }

  public static Credentials fromJson(JsonObject json) {
    @SuppressWarnings("unchecked")
    List<String> roles = json.getJsonArray("roles", new JsonArray()).getList();
    @SuppressWarnings("unchecked")
    List<String> mfa = json.getJsonArray("mfa", new JsonArray()).getList();
    return new Credentials(json.getString("userId"), json.getString("username"), json.getString("email"),
      List.copyOf(roles), json.getString("passwordHash"), json.getLong("passwordVersion", 1L),
      Instant.parse(json.getString("updatedAt")), json.getBoolean("emailVerified", false),
      json.getBoolean("disabled", false), List.copyOf(mfa));
  }
}
