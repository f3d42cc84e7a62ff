package io.latchkey.launcher.keycloak;

import io.latchkey.common.hash.KeycloakCredentials;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the importer takes of one user of a Keycloak realm export ({@code users[]}); the rest of
 * the object (attributes, groups, consents, ...) is never held. Fields Keycloak left out, or
 * wrote with another JSON type than its own, are null.
 */
public record KeycloakUser(String username, String email, String firstName, String lastName, Boolean emailVerified,
                           Boolean enabled, List<String> realmRoles, String serviceAccountClientId,
                           List<PasswordCredential> passwords) {

  /** The Keycloak realm role that becomes our {@code admin} role. */
  public static final String ADMIN_ROLE = "admin";
  static final int MAX_LABEL = 64;

  /**
   * A credential of {@code "type": "password"}: its {@code priority} (null when the export has
   * none; Keycloak 26's exports leave it out and list credentials in priority order) and its two
   * JSON-in-a-string documents, as written.
   */
  public record PasswordCredential(Integer priority, String credentialData, String secretData) {
  }

  public KeycloakUser {
    realmRoles = List.copyOf(realmRoles);
    passwords = List.copyOf(passwords);
  }

  /** A client's service account ({@code serviceAccountClientId}): no person, not imported. */
  public boolean serviceAccount() {
    return serviceAccountClientId != null;
  }

  /**
   * The password Keycloak checks a login against: of the user's password credentials, the one with
   * the lowest {@code priority} (Keycloak sorts credentials by ascending priority and takes the
   * first); on a tie, or without priorities, the first in the file.
   */
  public Optional<PasswordCredential> password() {
    return passwords.stream().min(Comparator.comparingInt(p -> p.priority() == null ? Integer.MAX_VALUE : p.priority()));
  }

  /**
   * The name an error of this user is reported under, safe to print on a terminal: control
   * characters (an escape sequence in a hostile export) become {@code ?}, and a long name is cut.
   */
  public String label() {
    if (username == null) {
      return "(a user without a username)";
    }
    StringBuilder shown = new StringBuilder();
    username.codePoints().limit(MAX_LABEL).forEach(c -> shown.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return username.codePointCount(0, username.length()) > MAX_LABEL ? shown + "..." : shown.toString();
  }

  /**
   * The user's line of POST /admin/users/import. {@code roles}: {@code ["user", "admin"]} for
   * holders of the realm role {@code admin}, else {@code ["user"]}; {@code disabled} is
   * {@code !enabled} (Keycloak imports a user without {@code enabled} as disabled, and so does
   * this); {@code displayName}: first and last name, when there is either; {@code passwordHash}:
   * the PHC form of {@link #password()}, absent without one (the user must reset).
   *
   * @throws io.latchkey.common.hash.UnsupportedHashException when the password credential cannot be converted
   */
  public JsonObject importLine() {
    JsonObject line = new JsonObject().put("username", username);
    if (email != null) {
      line.put("email", email);
    }
    displayName().ifPresent(name -> line.put("displayName", name));
    line.put("roles", realmRoles.contains(ADMIN_ROLE) ? new JsonArray().add("user").add("admin") : new JsonArray().add("user"));
    line.put("emailVerified", Boolean.TRUE.equals(emailVerified));
    line.put("disabled", !Boolean.TRUE.equals(enabled));
    password().ifPresent(p -> line.put("passwordHash", KeycloakCredentials.toPhc(p.credentialData(), p.secretData())));
    return line;
  }

  private Optional<String> displayName() {
    String first = firstName == null ? "" : firstName.strip();
    String last = lastName == null ? "" : lastName.strip();
    String name = (first + " " + last).strip();
    return name.isEmpty() ? Optional.empty() : Optional.of(name);
  }
}
