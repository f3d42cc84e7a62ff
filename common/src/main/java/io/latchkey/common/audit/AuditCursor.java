package io.latchkey.common.audit;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * Where a page of audit events ended: the (time, id) of its last event. The listing's order is
 * (time, id) descending and no row ever changes either, so the next page starts strictly after
 * it: no event is listed twice, and none that existed when the listing began is skipped. An
 * event committed during the listing appears if it sorts after the cursor (it was made earlier
 * but committed late), otherwise on the next fresh listing.
 */
record AuditCursor(Instant time, UUID id) {

  String encode() {
    String text = time.getEpochSecond() + "." + time.getNano() + "." + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor, or null when {@code text} is not one this service made. */
  static AuditCursor decode(String text) {
    if (text == null || text.length() > 128) {
      return null;
    }
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("\\.", -1);
      if (parts.length != 3) {
        return null;
      }
      long seconds = Long.parseLong(parts[0]);
      int nanos = Integer.parseInt(parts[1]);
      UUID id = UUID.fromString(parts[2]);
      if (nanos < 0 || nanos > 999_999_999 || !id.toString().equals(parts[2])) {
        return null;
      }
      return new AuditCursor(Instant.ofEpochSecond(seconds, nanos), id);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      return null;
    }
  }
}
