package io.latchkey.common.hash;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

/**
 * Converts a Keycloak password credential to the PHC form {@link PasswordHashes#parse} reads.
 * A credential of a realm export ({@code users[].credentials[]} of {@code "type": "password"})
 * holds two JSON documents inside JSON strings, passed here as they are (still strings):
 * <ul>
 *   <li>{@code credentialData}: {@code algorithm} (Keycloak's provider id), {@code hashIterations},
 *       and for argon2 {@code additionalParameters} whose values are arrays of one string:
 *       {@code type} ({@code id}, {@code i}, {@code d}), {@code version} ({@code 1.3} is PHC
 *       {@code v=19}, {@code 1.0} is {@code v=16}), {@code memory} (KiB), {@code parallelism},
 *       {@code hashLength} (bytes);</li>
 *   <li>{@code secretData}: {@code value} (the hash) and {@code salt}, standard base64 with padding.</li>
 * </ul>
 * Taken: {@code argon2} (argon2 of its {@code type}, time cost {@code hashIterations}),
 * {@code pbkdf2-sha256}, {@code pbkdf2-sha512} and {@code pbkdf2} (PBKDF2-HMAC-SHA1), the PBKDF2 ones
 * with an explicit {@code l=} of the stored hash's length (Keycloak 26's {@code pbkdf2} derives 64
 * bytes, more than SHA-1's 20). Keycloak uses the password's UTF-8 bytes without normalization,
 * which is how {@link PasswordHash#verify} checks these hashes.
 *
 * <p>This converts; it does not judge costs: the result is well formed, and
 * {@link PasswordHashes#parse} with the import's {@link HashLimits} decides whether it is taken.
 * A credential that is malformed, or of another algorithm (a Keycloak extension's bcrypt, say), is
 * refused with {@link UnsupportedHashException} ({@code unsupported_hash_format}); its message
 * names the algorithm when it is a plausible name, and never holds the hash or the salt.
 */
public final class KeycloakCredentials {

  /** Far above a real credentialData or secretData (~200 characters); refused before JSON parsing. */
  static final int MAX_JSON_LENGTH = 4096;
  private static final Pattern PLAUSIBLE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,40}");

  private KeycloakCredentials() {
  }

  /** The PHC string of a Keycloak password credential; see the class comment. */
  public static String toPhc(String credentialDataJson, String secretDataJson) {
    JsonObject credential = object(credentialDataJson, "credentialData");
    JsonObject secret = object(secretDataJson, "secretData");
    String algorithm = string(credential, "algorithm", "credentialData");
    int iterations = positive(credential.getValue("hashIterations"), "credentialData.hashIterations");
    byte[] salt = PasswordHashes.paddedBase64(string(secret, "salt", "secretData"), "secretData.salt");
    byte[] hash = PasswordHashes.paddedBase64(string(secret, "value", "secretData"), "secretData.value");
    String tail = "$" + PasswordHashes.toPhcBase64(salt) + "$" + PasswordHashes.toPhcBase64(hash);
    return switch (algorithm) {
      case "argon2" -> argon2(credential, iterations, hash.length) + tail;
      case "pbkdf2" -> "$pbkdf2-sha1$i=" + iterations + ",l=" + hash.length + tail;
      case "pbkdf2-sha256" -> "$pbkdf2-sha256$i=" + iterations + ",l=" + hash.length + tail;
      case "pbkdf2-sha512" -> "$pbkdf2-sha512$i=" + iterations + ",l=" + hash.length + tail;
      default -> throw UnsupportedHashException.format("The Keycloak credential algorithm "
        + (PLAUSIBLE_NAME.matcher(algorithm).matches() ? "'" + algorithm + "' " : "")
        + "is not taken (argon2, pbkdf2, pbkdf2-sha256 and pbkdf2-sha512 are).");
    };
  }

  private static String argon2(JsonObject credential, int iterations, int hashLength) {
    Object value = credential.getValue("additionalParameters");
    if (!(value instanceof JsonObject parameters)) {
      throw UnsupportedHashException.format("An argon2 credentialData has additionalParameters.");
    }
    String type = switch (single(parameters, "type")) {
      case "id" -> "argon2id";
      case "i" -> "argon2i";
      case "d" -> "argon2d";
      default -> throw UnsupportedHashException.format("An argon2 credential's type is id, i or d.");
    };
    String version = switch (single(parameters, "version")) {
      case "1.3" -> "19";
      case "1.0" -> "16";
      default -> throw UnsupportedHashException.format("An argon2 credential's version is 1.3 or 1.0.");
    };
    int memory = PasswordHashes.decimal(single(parameters, "memory"), "additionalParameters.memory");
    int parallelism = PasswordHashes.decimal(single(parameters, "parallelism"), "additionalParameters.parallelism");
    int length = PasswordHashes.decimal(single(parameters, "hashLength"), "additionalParameters.hashLength");
    if (length != hashLength) {
      throw UnsupportedHashException.format("An argon2 credential's hashLength is not the length of its value.");
    }
    return "$" + type + "$v=" + version + "$m=" + memory + ",t=" + iterations + ",p=" + parallelism;
  }

  private static JsonObject object(String json, String what) {
    if (json == null || json.length() > MAX_JSON_LENGTH) {
      throw UnsupportedHashException.format("The credential's " + what + " is missing or longer than " + MAX_JSON_LENGTH + " characters.");
    }
    try {
      return new JsonObject(json);
    } catch (RuntimeException e) {
      throw UnsupportedHashException.format("The credential's " + what + " is not a JSON object.");
    }
  }

  private static String string(JsonObject json, String key, String what) {
    if (!(json.getValue(key) instanceof String text)) {
      throw UnsupportedHashException.format("The credential's " + what + " has no string " + key + ".");
    }
    return text;
  }

  /** An argon2 parameter: Keycloak writes each as an array of one string. */
  private static String single(JsonObject parameters, String key) {
    if (!(parameters.getValue(key) instanceof JsonArray array) || array.size() != 1 || !(array.getValue(0) instanceof String text)) {
      throw UnsupportedHashException.format("An argon2 credential's additionalParameters." + key + " is not an array of one string.");
    }
    return text;
  }

  private static int positive(Object value, String what) {
    if ((value instanceof Integer || value instanceof Long) && ((Number) value).longValue() >= 1
      && ((Number) value).longValue() <= Integer.MAX_VALUE) {
      return ((Number) value).intValue();
    }
    throw UnsupportedHashException.format("The credential's " + what + " is not a positive whole number that fits 31 bits.");
  }
}
