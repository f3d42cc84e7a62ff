package io.latchkey.common.hash;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * An imported hash (argon2, PBKDF2): a key derived from the password's UTF-8 bytes as given
 * (see {@link PasswordHash}), compared in constant time with the stored one.
 */
abstract sealed class DerivedHash implements PasswordHash permits Argon2Hash, Pbkdf2Hash {

  private final String encoded;

  DerivedHash(String encoded) {
    this.encoded = encoded;
  }

  @Override
  public final String encoded() {
    return encoded;
  }

  @Override
  public final boolean verify(String password) {
    byte[] bytes = PasswordHashes.utf8(password);
    if (bytes == null) {
      return false;
    }
    try {
      return MessageDigest.isEqual(derive(bytes), expected());
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** The key derived from the password's bytes, as long as {@link #expected()}. */
  abstract byte[] derive(byte[] password);

  /** The stored bytes a right password derives. */
  abstract byte[] expected();
}
