package io.latchkey.common.bus;

import io.vertx.core.json.JsonObject;

/**
 * Request of {@code BusAddresses.USER_PASSWORD_REHASH}: after a successful login against a hash
 * that is not bcrypt at the configured cost (an imported argon2 or PBKDF2 hash, or a bcrypt hash
 * of another cost), the auth service has computed a bcrypt hash of the password and asks the user
 * service to store it in place of {@code oldHash}. The plaintext never crosses the bus: only the
 * two hashes do.
 *
 * <p>The user service installs it by compare-and-set: only while the stored hash is still
 * {@code oldHash} and the password version still {@code passwordVersion}. Two racing logins, or a
 * login racing a password change or reset, can therefore never put an older password's hash over
 * a newer one: the loser gets {@link Result#STALE}. The password version does not change and no
 * session is revoked: the password is the same.
 *
 * @param userId          the account
 * @param passwordVersion the password version the login was checked against
 * @param oldHash         the hash the login was checked against
 * @param newHash         its bcrypt replacement
 */
public record PasswordRehash(String userId, long passwordVersion, String oldHash, String newHash) {

  /** What the user service answers ({@code "installed"}, {@code "stale"} on the wire). */
  public enum Result {
    /** Stored: {@code credentials} is the user's state with the new hash. */
    INSTALLED,
    /** Not stored: the hash or the password version changed since the login read them (or the user is gone). */
    STALE
  }

  /** The reply: {@code {"result"}}, with {@code "credentials"} when installed. */
  public record Answer(Result result, Credentials credentials) {

    public Answer {
      if ((result == Result.INSTALLED) != (credentials != null)) {
        throw new IllegalArgumentException("credentials come with an installed answer, and only with it");
      }
    }

    public static Answer installed(Credentials credentials) {
      return new Answer(Result.INSTALLED, credentials);
    }

    public static Answer stale() {
      return new Answer(Result.STALE, null);
    }

    public JsonObject toJson() {
      return WireAnswers.toJson(result, credentials);
    }

    /** Throws IllegalArgumentException when the reply is not an answer. */
    public static Answer fromJson(JsonObject json) {
      return new Answer(WireAnswers.fromWire(Result.class, json.getString("result")), WireAnswers.credentials(json));
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("userId", userId)
      .put("passwordVersion", passwordVersion)
      .put("oldHash", oldHash)
      .put("newHash", newHash);
  }

  /** Throws IllegalArgumentException when a field is missing or of the wrong type. */
  public static PasswordRehash fromJson(JsonObject json) {
    Object userId = json.getValue("userId");
    Object version = json.getValue("passwordVersion");
    Object oldHash = json.getValue("oldHash");
    Object newHash = json.getValue("newHash");
    if (!(userId instanceof String id) || !(version instanceof Number v) || !(oldHash instanceof String o)
      || !(newHash instanceof String n)) {
      throw new IllegalArgumentException("userId, oldHash and newHash must be strings, passwordVersion a number");
    }
    return new PasswordRehash(id, v.longValue(), o, n);
  }

  /** Never prints a hash. */
  @Override
  public String toString() {
    return "PasswordRehash[userId=" + userId + ", passwordVersion=" + passwordVersion + "]";
  }
}
