package io.latchkey.user.service;

import io.latchkey.common.ApiException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * The opaque position of a search page: the (created_at, id) of the last user shown, at the
 * database's microsecond precision, so the next page starts exactly after it.
 */
public record SearchCursor(Instant createdAt, UUID id) {

  private static final String VERSION = "v1";
  /**
   * The times a cursor may hold, in microseconds since 1970: from 1970 to the end of year 9999,
   * well within PostgreSQL's timestamptz (4713 BC to 294276 AD) and the client's encoding of it.
   * A user's created_at is set by the database when it is created, so no real cursor is outside.
   */
  static final long MIN_MICROS = 0L;
  static final long MAX_MICROS = 253_402_300_799_999_999L;

  public String encode() {
    long micros = Math.addExact(Math.multiplyExact(createdAt.getEpochSecond(), 1_000_000L), createdAt.getNano() / 1000);
    String raw = VERSION + ":" + micros + ":" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * 400 validation_failed (field cursor) for anything this service did not hand out: exactly
   * the string {@link #encode} gives (no padding, leading zeros or upper-case variants), with a
   * time within {@link #MIN_MICROS} and {@link #MAX_MICROS}, so a forged cursor never reaches
   * the database.
   */
  public static SearchCursor decode(String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split(":", -1);
      if (parts.length != 3 || !VERSION.equals(parts[0])) {
        throw new IllegalArgumentException("shape");
      }
      long micros = Long.parseLong(parts[1]);
      if (micros < MIN_MICROS || micros > MAX_MICROS) {
        throw new IllegalArgumentException("time out of range");
      }
      UUID id = UUID.fromString(parts[2]);
      if (!id.toString().equals(parts[2])) {
        throw new IllegalArgumentException("uuid form");
      }
      SearchCursor decoded = new SearchCursor(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
        Math.floorMod(micros, 1_000_000L) * 1000L), id);
      if (!decoded.encode().equals(cursor)) {
        throw new IllegalArgumentException("not canonical");
      }
      return decoded;
    } catch (RuntimeException e) {
      throw ApiException.validation("cursor", "The cursor is not one this service handed out.");
    }
  }
}
