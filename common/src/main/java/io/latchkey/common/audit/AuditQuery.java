package io.latchkey.common.audit;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiException.FieldError;
import io.vertx.core.MultiMap;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The filters of {@code GET /admin/audit-events?userId=&type=&since=&until=&limit=&cursor=}:
 * {@code userId} a UUID, {@code type} a known type, {@code since} (inclusive) and {@code until}
 * (exclusive) ISO-8601 times with an offset, {@code limit} 1..100 (default 20), {@code cursor} a
 * {@code nextCursor} this service returned. Anything else, or a parameter given twice, is 400
 * {@code validation_failed} naming every bad field.
 */
public record AuditQuery(UUID userId, AuditType type, Instant since, Instant until, int limit, AuditCursor after) {

  public static final int DEFAULT_LIMIT = 20;
  public static final int MAX_LIMIT = 100;

  public static AuditQuery parse(MultiMap params) {
    List<FieldError> errors = new ArrayList<>();
    UUID userId = null;
    String rawUser = single(params, "userId", errors);
    if (rawUser != null) {
      try {
        userId = UUID.fromString(rawUser);
        if (!userId.toString().equalsIgnoreCase(rawUser)) {
          userId = null;
          errors.add(new FieldError("userId", "Must be a UUID."));
        }
      } catch (IllegalArgumentException e) {
        errors.add(new FieldError("userId", "Must be a UUID."));
      }
    }
    AuditType type = null;
    String rawType = single(params, "type", errors);
    if (rawType != null) {
      type = AuditType.fromWire(rawType).orElse(null);
      if (type == null) {
        errors.add(new FieldError("type", "Must be one of the audit event types (see the OpenAPI document)."));
      }
    }
    Instant since = time(params, "since", errors);
    Instant until = time(params, "until", errors);
    if (since != null && until != null && !since.isBefore(until)) {
      errors.add(new FieldError("until", "Must be later than since."));
    }
    int limit = DEFAULT_LIMIT;
    String rawLimit = single(params, "limit", errors);
    if (rawLimit != null) {
      try {
        limit = Integer.parseInt(rawLimit);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        errors.add(new FieldError("limit", "Must be a whole number from 1 to " + MAX_LIMIT + "."));
      }
    }
    AuditCursor after = null;
    String rawCursor = single(params, "cursor", errors);
    if (rawCursor != null && !rawCursor.isEmpty()) {
      after = AuditCursor.decode(rawCursor);
      if (after == null) {
        errors.add(new FieldError("cursor", "Not a cursor this endpoint returned."));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    return new AuditQuery(userId, type, since, until, limit, after);
  }

  private static String single(MultiMap params, String name, List<FieldError> errors) {
    List<String> values = params.getAll(name);
    if (values.size() > 1) {
      errors.add(new FieldError(name, "Give it at most once."));
      return null;
    }
    return values.isEmpty() ? null : values.get(0);
  }

  private static Instant time(MultiMap params, String name, List<FieldError> errors) {
    String raw = single(params, name, errors);
    if (raw == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(raw).toInstant();
    } catch (DateTimeParseException e) {
      errors.add(new FieldError(name, "Must be an ISO-8601 time with an offset, such as 2026-11-25T10:15:30Z."));
      return null;
    }
  }
}
