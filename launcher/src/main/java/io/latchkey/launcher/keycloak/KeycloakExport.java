package io.latchkey.launcher.keycloak;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the users of a Keycloak realm export, one user at a time, with Jackson's streaming parser:
 * whatever the size of the export, what is held is one user's fields ({@link KeycloakUser}), never
 * the {@code users} array nor the rest of the realm.
 *
 * <p>Both shapes Keycloak 26 writes: {@code kc.sh export --realm R --file F} (users inline, in the
 * realm's {@code users}), and {@code kc.sh export --realm R --dir D --users different_files}
 * ({@code D/R-realm.json} without users, beside {@code D/R-users-0.json}, {@code R-users-1.json}, ...
 * each {@code {"realm": R, "users": [...]}}). Given the realm file, its sibling users files are
 * read after it in numeric order; a gap in their numbers is refused (a file went missing).
 */
public final class KeycloakExport {

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final Pattern ANY_USERS_FILE = Pattern.compile("(.+)-users-\\d+\\.json");

  /** What was read: the realm's name and the files, in the order read. */
  public record Read(String realm, List<Path> files) {
  }

  /** The export cannot be read: its message names the file and what is wrong, and is shown as it is. */
  public static final class ExportException extends RuntimeException {
    public ExportException(String message) {
      super(message, null, false, false);
    }
  }

  private KeycloakExport() {
  }

  /** Hands every user of the export whose realm file is {@code realmFile} to {@code users}, in file order. */
  public static Read read(Path realmFile, Consumer<KeycloakUser> users) {
    Matcher usersFile = ANY_USERS_FILE.matcher(realmFile.getFileName().toString());
    if (usersFile.matches() && Files.exists(realmFile.resolveSibling(usersFile.group(1) + "-realm.json"))) {
      throw new ExportException(realmFile + " is a users file: give the realm file, "
        + realmFile.resolveSibling(usersFile.group(1) + "-realm.json") + ", and its users files are read with it");
    }
    String realm = readFile(realmFile, null, users);
    List<Path> files = new ArrayList<>();
    files.add(realmFile);
    for (Path file : siblings(realmFile, realm)) {
      readFile(file, realm, users);
      files.add(file);
    }
    return new Read(realm, files);
  }

  /** {@code <realm>-users-<n>.json} beside the realm file, by n; refused when a number is missing. */
  static List<Path> siblings(Path realmFile, String realm) {
    Path folder = realmFile.toAbsolutePath().getParent();
    Pattern name = usersFile(realm);
    Map<Long, Path> byNumber = new TreeMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
      for (Path entry : entries) {
        Matcher m = name.matcher(entry.getFileName().toString());
        if (m.matches() && m.group(1).length() <= 9) {
          byNumber.put(Long.parseLong(m.group(1)), entry);
        }
      }
    } catch (IOException e) {
      throw new ExportException("cannot list " + folder + " for the users files of realm " + realm + ": " + e.getMessage());
    }
    long expected = 0;
    for (long number : byNumber.keySet()) {
      if (number != expected) {
        throw new ExportException(realm + "-users-" + expected + ".json is missing beside " + byNumber.get(number).getFileName()
          + " in " + folder);
      }
      expected++;
    }
    return List.copyOf(byNumber.values());
  }

  private static Pattern usersFile(String realm) {
    return Pattern.compile(Pattern.quote(realm) + "-users-(\\d+)\\.json");
  }

  /** Reads one file of the export; returns its {@code realm} (which must be {@code expectedRealm} when given). */
  private static String readFile(Path file, String expectedRealm, Consumer<KeycloakUser> users) {
    String realm = null;
    try (JsonParser parser = JSON.createParser(Files.newInputStream(file))) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw notAnExport(file, "it is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (field.equals("realm") && value == JsonToken.VALUE_STRING) {
          realm = parser.getText();
          if (expectedRealm != null && !expectedRealm.equals(realm)) {
            throw notAnExport(file, "its realm is " + realm + ", not " + expectedRealm);
          }
        } else if (field.equals("users")) {
          readUsers(parser, file, users);
        } else {
          parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw notAnExport(file, "there is more after its JSON object");
      }
    } catch (NoSuchFileException e) {
      throw new ExportException("cannot read " + file + ": no such file");
    } catch (JsonParseException e) {
      throw notAnExport(file, "it is not valid JSON (line " + e.getLocation().getLineNr() + ", column "
        + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw new ExportException("cannot read " + file + ": " + e.getMessage());
    }
    if (realm == null) {
      throw notAnExport(file, "it has no \"realm\"");
    }
    return realm;
  }

  private static void readUsers(JsonParser parser, Path file, Consumer<KeycloakUser> users) throws IOException {
    if (parser.currentToken() != JsonToken.START_ARRAY) {
      throw notAnExport(file, "its \"users\" is not an array");
    }
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      if (parser.currentToken() != JsonToken.START_OBJECT) {
        throw notAnExport(file, "an element of its \"users\" is not an object (line " + parser.currentLocation().getLineNr() + ")");
      }
      users.accept(readUser(parser));
    }
  }

  /** One user object, the parser on its START_OBJECT; leaves it on the matching END_OBJECT. */
  private static KeycloakUser readUser(JsonParser parser) throws IOException {
    String username = null;
    String email = null;
    String firstName = null;
    String lastName = null;
    Boolean emailVerified = null;
    Boolean enabled = null;
    String serviceAccount = null;
    List<String> realmRoles = List.of();
    List<KeycloakUser.PasswordCredential> passwords = List.of();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      parser.nextToken();
      switch (field) {
        case "username" -> username = text(parser);
        case "email" -> email = text(parser);
        case "firstName" -> firstName = text(parser);
        case "lastName" -> lastName = text(parser);
        case "emailVerified" -> emailVerified = flag(parser);
        case "enabled" -> enabled = flag(parser);
        case "serviceAccountClientId" -> serviceAccount = text(parser);
        case "realmRoles" -> realmRoles = texts(parser);
        case "credentials" -> passwords = passwords(parser);
        default -> parser.skipChildren();
      }
    }
    return new KeycloakUser(username, email, firstName, lastName, emailVerified, enabled, realmRoles, serviceAccount, passwords);
  }

  /** The password credentials of {@code credentials}, in file order; other types (otp, webauthn, ...) are passed over. */
  private static List<KeycloakUser.PasswordCredential> passwords(JsonParser parser) throws IOException {
    List<KeycloakUser.PasswordCredential> passwords = new ArrayList<>();
    if (parser.currentToken() != JsonToken.START_ARRAY) {
      parser.skipChildren();
      return passwords;
    }
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      if (parser.currentToken() != JsonToken.START_OBJECT) {
        parser.skipChildren();
        continue;
      }
      String type = null;
      Integer priority = null;
      String credentialData = null;
      String secretData = null;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "type" -> type = text(parser);
          case "priority" -> priority = value == JsonToken.VALUE_NUMBER_INT
            && parser.getNumberType() == JsonParser.NumberType.INT ? parser.getIntValue() : null;
          case "credentialData" -> credentialData = text(parser);
          case "secretData" -> secretData = text(parser);
          default -> parser.skipChildren();
        }
      }
      if ("password".equals(type)) {
        passwords.add(new KeycloakUser.PasswordCredential(priority, credentialData, secretData));
      }
    }
    return passwords;
  }

  private static List<String> texts(JsonParser parser) throws IOException {
    List<String> texts = new ArrayList<>();
    if (parser.currentToken() != JsonToken.START_ARRAY) {
      parser.skipChildren();
      return texts;
    }
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      String text = text(parser);
      if (text != null) {
        texts.add(text);
      }
    }
    return texts;
  }

  /** A string value; null for any other JSON type (whose children are skipped). */
  private static String text(JsonParser parser) throws IOException {
    if (parser.currentToken() == JsonToken.VALUE_STRING) {
      return parser.getText();
    }
    parser.skipChildren();
    return null;
  }

  private static Boolean flag(JsonParser parser) throws IOException {
    return switch (parser.currentToken()) {
      case VALUE_TRUE -> true;
      case VALUE_FALSE -> false;
      default -> {
        parser.skipChildren();
        yield null;
      }
    };
  }

  private static ExportException notAnExport(Path file, String why) {
    return new ExportException(file + " is not a Keycloak realm export: " + why);
  }
}
