package io.latchkey.auth.cache;

import io.latchkey.common.bus.Credentials;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** One entry of the password cache: what the user service said, and when this cache stored it. */
public record CachedCredentials(Credentials credentials, Instant cachedAt) {

  public String userId() {
    return credentials.userId();
  }

  public long passwordVersion() {
    return credentials.passwordVersion();
  }

  /** True when {@code login} (already lower-cased) is this user's username or email. */
  public boolean answersTo(String normalizedLogin) {
    return normalizedLogin.equals(CacheCipher.normalizeLogin(credentials.username()))
      || (credentials.email() != null && normalizedLogin.equals(CacheCipher.normalizeLogin(credentials.email())));
  }

  JsonObject toJson() {
    return credentials.toJson().put("cachedAt", cachedAt.toString());
  }

  /**
   * The entry, or null when it was written by a node older than the second factor (no {@code mfa}
   * field): such an entry cannot tell "no second factor" from "not known", and reading it as the
   * former would let a password alone finish the login of a user who has one. It is a miss.
   */
  static CachedCredentials fromJson(JsonObject json) {
    if (!(json.getValue(MFA) instanceof io.vertx.core.json.JsonArray)) {
      return null;
    }
    return new CachedCredentials(Credentials.fromJson(json), Instant.parse(json.getString("cachedAt")));
  }

  /** The field every entry carries since the second factor (Credentials' {@code mfa}). */
  static final String MFA = "mfa";

  /** The admin view: never the hash. */
  public JsonObject toAdminJson() {
    return new JsonObject()
      .put("userId", credentials.userId())
      .put("username", credentials.username())
      .put("passwordVersion", credentials.passwordVersion())
      .put("cachedAt", cachedAt.toString());
  }
}
