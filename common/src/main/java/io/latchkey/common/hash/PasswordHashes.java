package io.latchkey.common.hash;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads an encoded password hash ({@link #parse}) and says which form of a password bcrypt takes
 * ({@link #bcryptInput}). The forms read, strictly (anything else is {@code unsupported_hash_format}):
 * <ul>
 *   <li>bcrypt, modular crypt: {@code $2a$}, {@code $2b$} or {@code $2y$}, a two-digit cost, 53
 *       characters of bcrypt's base64 (60 in all);</li>
 *   <li>argon2, the reference implementation's PHC form:
 *       {@code $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>}, also {@code argon2i} and
 *       {@code argon2d}; {@code v=16} or {@code v=19}, and no {@code v=} at all means 16 as in the
 *       reference decoder (its hashes of before version 1.3 have none); m, t and p exactly once each,
 *       in that order, no other parameter (no {@code keyid=} or {@code data=});</li>
 *   <li>PBKDF2, the PHC-style form of API.md: {@code $pbkdf2-<sha1|sha256|sha512>$i=<iterations>[,l=<hash bytes>]$<salt>$<hash>};
 *       without {@code l=} the hash is the digest length (20, 32 or 64 bytes), with it the hash
 *       must be exactly that long (Keycloak's SHA-1 hashes are 64 bytes: {@code l=64}).</li>
 * </ul>
 * Numbers are plain decimals (no sign, no leading zero) that fit an {@code int}; salt and hash are
 * base64 of the standard alphabet without padding, in canonical form (no stray bits), as PHC asks.
 * A string over {@link #MAX_ENCODED_LENGTH} characters or with anything but printable ASCII is
 * refused before any other work. A well formed hash whose parameters are outside the
 * {@link HashLimits} is {@code hash_cost_out_of_range}. Parsing is cheap (no hashing) and never
 * throws anything but {@link UnsupportedHashException} (or a NullPointerException for null limits).
 */
public final class PasswordHashes {

  /** The longest encoded hash taken: far above any real one (a 64-byte salt and hash in PHC form is ~200). */
  public static final int MAX_ENCODED_LENGTH = 512;
  /** bcrypt reads at most 72 bytes of a password; a longer one can never be the one that was set. */
  public static final int BCRYPT_MAX_BYTES = 72;

  private static final Base64.Encoder PHC_BASE64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Encoder PADDED_BASE64 = Base64.getEncoder();

  private PasswordHashes() {
  }

  /**
   * The hash {@code encoded} stands for, refused with {@link UnsupportedHashException} when it is
   * not one of the forms above ({@code unsupported_hash_format}) or asks for parameters outside
   * {@code limits} ({@code hash_cost_out_of_range}).
   */
  public static PasswordHash parse(String encoded, HashLimits limits) {
    Objects.requireNonNull(limits, "limits");
    if (encoded == null || encoded.isEmpty()) {
      throw UnsupportedHashException.format("No password hash.");
    }
    if (encoded.length() > MAX_ENCODED_LENGTH) {
      throw UnsupportedHashException.format("A password hash has at most " + MAX_ENCODED_LENGTH + " characters.");
    }
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c <= ' ' || c > '~') {
        throw UnsupportedHashException.format("A password hash is printable ASCII without spaces.");
      }
    }
    String[] parts = encoded.split("\\$", -1);
    if (parts.length < 4 || !parts[0].isEmpty()) {
      throw UnsupportedHashException.format("Not a bcrypt, argon2 or PBKDF2 hash.");
    }
    String id = parts[1];
    if (id.equals("2a") || id.equals("2b") || id.equals("2y")) {
      return bcrypt(encoded, parts, limits);
    }
    for (int type = 0; type < Argon2Hash.NAMES.length; type++) {
      if (Argon2Hash.NAMES[type].equals(id)) {
        return argon2(encoded, parts, type, limits);
      }
    }
    if (id.startsWith("pbkdf2-")) {
      Pbkdf2Hash.Prf prf = Pbkdf2Hash.Prf.byId(id);
      if (prf == null) {
        throw UnsupportedHashException.format("PBKDF2 is taken with sha1, sha256 or sha512 only.");
      }
      return pbkdf2(encoded, parts, prf, limits);
    }
    throw UnsupportedHashException.format("Not a bcrypt, argon2 or PBKDF2 hash.");
  }

  /**
   * The form of {@code password} that bcrypt hashes and verifies here: its Unicode NFKC form, as
   * the user service has always hashed passwords (PasswordPolicy) and both services verified them.
   * Empty when no bcrypt hash of ours can match it: the NFKC form is over {@value #BCRYPT_MAX_BYTES}
   * UTF-8 bytes (bcrypt would ignore the rest; the password policy refuses such passwords), or
   * has a control character (C0, DEL, C1) or a lone surrogate (TextRules' rule, refused in every
   * request). Hash this when upgrading an imported hash at login; when it is empty, keep the
   * imported hash, which a bcrypt hash could not replace.
   */
  public static Optional<String> bcryptInput(String password) {
    String normalized = Normalizer.normalize(password, Normalizer.Form.NFKC);
    boolean clean = normalized.codePoints()
      .allMatch(cp -> cp >= 0x20 && (cp < 0x7F || cp > 0x9F) && (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE));
    if (!clean || normalized.getBytes(StandardCharsets.UTF_8).length > BCRYPT_MAX_BYTES) {
      return Optional.empty();
    }
    return Optional.of(normalized);
  }

  /** The password's UTF-8 bytes, or null when it has a lone surrogate (which has no UTF-8 form). */
  static byte[] utf8(String password) {
    try {
      ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .encode(CharBuffer.wrap(password));
      byte[] bytes = new byte[encoded.remaining()];
      encoded.get(bytes);
      return bytes;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static BcryptHash bcrypt(String encoded, String[] parts, HashLimits limits) {
    if (parts.length != 4 || parts[2].length() != 2 || parts[3].length() != 53 || encoded.length() != 60) {
      throw UnsupportedHashException.format("A bcrypt hash is $2a$, $2b$ or $2y$, a two-digit cost and 53 characters.");
    }
    if (!Character.isDigit(parts[2].charAt(0)) || !Character.isDigit(parts[2].charAt(1))) {
      throw UnsupportedHashException.format("A bcrypt cost is two digits.");
    }
    for (int i = 0; i < parts[3].length(); i++) {
      char c = parts[3].charAt(i);
      if (!(c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
        throw UnsupportedHashException.format("A bcrypt hash has a character outside bcrypt's base64.");
      }
    }
    int cost = Integer.parseInt(parts[2]);
    within("bcrypt cost", cost, limits.bcryptMinCost(), limits.bcryptMaxCost());
    return new BcryptHash(encoded, cost);
  }

  private static Argon2Hash argon2(String encoded, String[] parts, int type, HashLimits limits) {
    int version;
    int next;
    if (parts.length == 6) {
      version = switch (parts[2]) {
        case "v=19" -> 0x13;
        case "v=16" -> 0x10;
        default -> throw UnsupportedHashException.format("An argon2 version is v=16 or v=19.");
      };
      next = 3;
    } else if (parts.length == 5) {
      version = 0x10;
      next = 2;
    } else {
      throw UnsupportedHashException.format("An argon2 hash is $argon2<type>$v=<version>$m=<KiB>,t=<t>,p=<p>$<salt>$<hash>.");
    }
    int[] mtp = parameters(parts[next], new String[] {"m", "t", "p"}, 3, "an argon2");
    byte[] salt = phcBase64(parts[next + 1], "salt");
    byte[] hash = phcBase64(parts[next + 2], "hash");
    int memory = mtp[0];
    int iterations = mtp[1];
    int parallelism = mtp[2];
    within("argon2 memory (KiB)", memory, limits.argon2MinMemoryKib(), limits.argon2MaxMemoryKib());
    within("argon2 iterations", iterations, limits.argon2MinIterations(), limits.argon2MaxIterations());
    within("argon2 parallelism", parallelism, 1, limits.argon2MaxParallelism());
    within("salt length (bytes)", salt.length, limits.minSaltBytes(), limits.maxSaltBytes());
    within("hash length (bytes)", hash.length, limits.minHashBytes(), limits.maxHashBytes());
    if (memory < 8 * parallelism) {
      // only reachable with limits below the defaults' 1024 KiB
      throw UnsupportedHashException.format("An argon2 hash has at least 8 KiB of memory per lane (p).");
    }
    return new Argon2Hash(encoded, type, version, memory, iterations, parallelism, salt, hash);
  }

  private static Pbkdf2Hash pbkdf2(String encoded, String[] parts, Pbkdf2Hash.Prf prf, HashLimits limits) {
    if (parts.length != 5) {
      throw UnsupportedHashException.format("A PBKDF2 hash is $pbkdf2-<digest>$i=<iterations>,l=<bytes>$<salt>$<hash>.");
    }
    int[] il = parameters(parts[2], new String[] {"i", "l"}, 1, "a PBKDF2");
    byte[] salt = phcBase64(parts[3], "salt");
    byte[] hash = phcBase64(parts[4], "hash");
    int length = il.length == 2 ? il[1] : prf.digestBytes;
    if (hash.length != length) {
      throw UnsupportedHashException.format("A PBKDF2 hash is as long as its l= says (the digest length without it).");
    }
    int max = switch (prf) {
      case SHA1 -> limits.pbkdf2Sha1MaxIterations();
      case SHA256 -> limits.pbkdf2Sha256MaxIterations();
      case SHA512 -> limits.pbkdf2Sha512MaxIterations();
    };
    within(prf.id + " iterations", il[0], limits.pbkdf2MinIterations(), max);
    within("salt length (bytes)", salt.length, limits.minSaltBytes(), limits.maxSaltBytes());
    within("hash length (bytes)", hash.length, limits.minHashBytes(), limits.maxHashBytes());
    return new Pbkdf2Hash(encoded, prf, il[0], salt, hash);
  }

  /**
   * The values of {@code name=value,...}: the names in this order, the first {@code required} of
   * them present, the others optional; nothing else.
   */
  private static int[] parameters(String text, String[] names, int required, String what) {
    String[] pairs = text.split(",", -1);
    if (pairs.length < required || pairs.length > names.length) {
      throw UnsupportedHashException.format("The parameters of " + what + " hash are " + String.join(",", names) + ", once each.");
    }
    int[] values = new int[pairs.length];
    for (int i = 0; i < pairs.length; i++) {
      if (!pairs[i].startsWith(names[i] + "=")) {
        throw UnsupportedHashException.format("The parameters of " + what + " hash are " + String.join(",", names)
          + ", once each, in that order.");
      }
      values[i] = decimal(pairs[i].substring(names[i].length() + 1), names[i]);
    }
    return values;
  }

  /** A plain decimal (digits, no leading zero) that fits an int. */
  static int decimal(String text, String name) {
    if (text.isEmpty() || text.length() > 10 || (text.length() > 1 && text.charAt(0) == '0')) {
      throw UnsupportedHashException.format("The parameter " + name + " is not a plain decimal number that fits 31 bits.");
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw UnsupportedHashException.format("The parameter " + name + " is not a plain decimal number that fits 31 bits.");
      }
      value = value * 10 + (c - '0');
    }
    if (value > Integer.MAX_VALUE) {
      throw UnsupportedHashException.format("The parameter " + name + " is not a plain decimal number that fits 31 bits.");
    }
    return (int) value;
  }

  /** Base64 of the standard alphabet without padding, in canonical form (PHC's encoding of salt and hash). */
  static byte[] phcBase64(String text, String what) {
    return base64(text, what, PHC_BASE64);
  }

  /** Base64 of the standard alphabet with padding, in canonical form (Keycloak's salt and value). */
  static byte[] paddedBase64(String text, String what) {
    return base64(text, what, PADDED_BASE64);
  }

  /** Base64 without padding, as PHC strings hold salt and hash. */
  static String toPhcBase64(byte[] bytes) {
    return PHC_BASE64.encodeToString(bytes);
  }

  private static byte[] base64(String text, String what, Base64.Encoder canonical) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw UnsupportedHashException.format("The " + what + " is not valid base64.");
    }
    // the decoder takes padding or none, and ignores stray bits: only the canonical form is taken
    if (bytes.length == 0 || !canonical.encodeToString(bytes).equals(text)) {
      throw UnsupportedHashException.format("The " + what + " is not canonical base64 (" + (canonical == PHC_BASE64
        ? "standard alphabet, no padding" : "standard alphabet, padded") + ").");
    }
    return bytes;
  }

  private static void within(String what, int value, int min, int max) {
    if (value < min || value > max) {
      throw UnsupportedHashException.outOfRange("The " + what + " is " + value + ", outside " + min + ".." + max + ".");
    }
  }
}
