package io.latchkey.user.auth;

import io.latchkey.user.model.Roles;

import java.util.List;
import java.util.UUID;

/**
 * Who is calling: a holder of a full internal key (admin, no user of its own), or the user of a
 * valid access token (admin when the token's roles contain {@code admin}).
 *
 * @param userId         the token's user, null for an API key
 * @param sessionId      the token's session, null for an API key
 * @param keyFingerprint {@code key:<fingerprint>} of the API key, null for a token (never the key)
 */
public record Caller(UUID userId, String sessionId, String username, List<String> roles, boolean viaApiKey,
                     String keyFingerprint) {

  public static Caller apiKey(String keyFingerprint) {
    return new Caller(null, null, null, List.of(Roles.ADMIN), true, keyFingerprint);
  }

  /** The audit's {@code actor}: the token's user id, or the key's fingerprint. */
  public String actor() {
    return viaApiKey ? keyFingerprint : userId.toString();
  }

  public boolean admin() {
    return viaApiKey || roles.contains(Roles.ADMIN);
  }

  /** True when this caller is the user with the given id (by token). */
  public boolean is(UUID id) {
    return userId != null && userId.equals(id);
  }

  /** The rule "the user, admin": the user themselves, or an admin. */
  public boolean mayActOn(UUID id) {
    return admin() || is(id);
  }
}
