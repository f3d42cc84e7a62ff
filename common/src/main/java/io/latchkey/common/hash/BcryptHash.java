package io.latchkey.common.hash;

import at.favre.lib.crypto.bcrypt.BCrypt;

import java.nio.charset.StandardCharsets;

/** A bcrypt hash ({@code $2a$}, {@code $2b$} or {@code $2y$}), checked by at.favre's bcrypt as the services always have. */
final class BcryptHash implements PasswordHash {

  private final String encoded;
  private final int cost;

  BcryptHash(String encoded, int cost) {
    this.encoded = encoded;
    this.cost = cost;
  }

  @Override
  public String algorithm() {
    return "bcrypt";
  }

  @Override
  public String encoded() {
    return encoded;
  }

  @Override
  public boolean verify(String password) {
    return PasswordHashes.bcryptInput(password)
      .map(normalized -> BCrypt.verifyer().verify(normalized.getBytes(StandardCharsets.UTF_8),
        encoded.getBytes(StandardCharsets.US_ASCII)).verified)
      .orElse(false);
  }

  @Override
  public boolean isBcrypt() {
    return true;
  }

  @Override
  public boolean isBcryptWithCost(int cost) {
    return this.cost == cost;
  }

  @Override
  public String toString() {
    return "PasswordHash[bcrypt, cost " + cost + "]";
  }
}
