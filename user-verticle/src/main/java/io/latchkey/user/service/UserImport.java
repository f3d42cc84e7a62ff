package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiException.FieldError;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.hash.HashLimits;
import io.latchkey.common.hash.PasswordHashes;
import io.latchkey.common.hash.UnsupportedHashException;
import io.latchkey.user.model.Roles;
import io.latchkey.user.repo.UserRepository;
import io.latchkey.user.repo.UserRepository.NewUser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The rules of an import (POST /admin/users/import): one line is one user, checked by the rules of
 * registration ({@link UserFields}) and of the roles endpoint, its password hash by
 * {@link PasswordHashes} within {@link HashLimits#defaults()}; a line that breaks a rule is refused
 * with the code registration would give (never fixed). Users are inserted a batch at a time, a
 * taken username or email skipped, never overwritten. The whole import is one audit event.
 */
public final class UserImport {

  private static final Logger LOG = LoggerFactory.getLogger(UserImport.class);
  private static final Set<String> FIELDS = Set.of("username", "email", "displayName", "roles", "emailVerified", "disabled",
    "passwordHash");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One line refused: its number (from 1), the code and the message (never the line's text). */
  public record LineError(long line, String code, String message) {
  }

  /** What an import did. */
  public record Summary(long created, long skipped, long errors) {
  }

  private final Pool pool;
  private final UserRepository users;
  private final BcryptPool bcrypt;
  private final AuditTrail audit;
  private final HashLimits limits;

  public UserImport(Pool pool, UserRepository users, BcryptPool bcrypt, AuditTrail audit, HashLimits limits) {
    this.pool = pool;
    this.users = users;
    this.bcrypt = bcrypt;
    this.audit = audit;
    this.limits = limits;
  }

  /**
   * The user of one line ({@code passwordHash} null: none given, the user must reset), or the
   * refusal: {@link ApiException} with registration's code, or {@link UnsupportedHashException}.
   */
  public NewUser parse(Buffer line) {
    Object value;
    try {
      value = Json.decodeValue(line);
    } catch (DecodeException e) {
      throw malformedLine("The line is not valid JSON (UTF-8).");
    }
    if (!(value instanceof JsonObject json)) {
      throw malformedLine("The line must be a JSON object.");
    }
    String username = JsonBodies.string(json, "username");
    String email = JsonBodies.string(json, "email");
    String displayName = JsonBodies.string(json, "displayName");
    String hash = JsonBodies.string(json, "passwordHash");
    boolean emailVerified = flag(json, "emailVerified");
    boolean disabled = flag(json, "disabled");
    List<String> roles = roles(json.getValue("roles"));
    JsonBodies.onlyFields(json, FIELDS);
    List<FieldError> errors = new ArrayList<>();
    UserFields.checkUsername(username, errors);
    UserFields.checkEmail(email == null ? null : email.trim(), errors);
    UserFields.checkDisplayName(displayName, errors);
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    if (hash != null) {
      PasswordHashes.parse(hash, limits); // refused here, not at the user's first login
    }
    return new NewUser(UUID.randomUUID(), username, UserFields.normalizeEmail(email), displayName, roles, emailVerified, disabled,
      hash);
  }

  /** A line that is not a JSON object: {@code malformed_line}. */
  public static ApiException malformedLine(String detail) {
    return new ApiException(400, ErrorCodes.MALFORMED_LINE, detail);
  }

  /**
   * A refused line as API.md words it: {@code malformed_line} when it is not a JSON object, else
   * {@code validation_failed} with a message naming the field(s) (a hash refused for its form or
   * its cost, a field of the wrong type, an unknown field: all validation of a field).
   */
  public static LineError refusal(long line, RuntimeException e) {
    if (e instanceof UnsupportedHashException hash) {
      return new LineError(line, ErrorCodes.VALIDATION_FAILED, "passwordHash: " + hash.getMessage());
    }
    if (e instanceof ApiException api) {
      if (ErrorCodes.MALFORMED_LINE.equals(api.code())) {
        return new LineError(line, api.code(), api.detail());
      }
      String fields = api.errors().stream().map(f -> f.field() + ": " + f.message()).collect(Collectors.joining(" "));
      return new LineError(line, ErrorCodes.VALIDATION_FAILED, fields.isEmpty() ? api.detail() : fields);
    }
    throw e;
  }

  /**
   * The hash every user of an import who comes without one gets: the service's own bcrypt (its
   * cost) of 32 random bytes nobody keeps, so the login path verifies it like any other and no
   * password matches; the user sets one by a reset. One per import, not one per user: bcrypt at
   * cost 12 takes ~0.25 s of a core, 100,000 hashless users would take hours.
   */
  public Future<String> resetHash() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return bcrypt.hash(Base64.getEncoder().withoutPadding().encodeToString(secret));
  }

  /** Inserts a batch (hashes filled in), skipping taken usernames and emails; the number inserted. */
  public Future<Integer> insert(List<NewUser> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return users.insertAbsent(pool, batch).map(List::size);
  }

  /** The import's one audit event (its counts in the reason), and its log line. */
  public Future<Void> finished(Summary summary, boolean completed, AuditContext by) {
    String reason = "created=" + summary.created() + " skipped=" + summary.skipped() + " errors=" + summary.errors()
      + (completed ? "" : " interrupted");
    AuditEvent event = by.event(AuditType.USERS_IMPORTED, null, null, reason);
    if (!completed) {
      event = new AuditEvent(event.id(), event.time(), event.type(), null, null, event.actor(), event.ip(), event.userAgent(),
        event.requestId(), AuditType.Outcome.FAILURE, reason);
    }
    LOG.info("[{}] import {}: {}", by.requestId(), completed ? "done" : "interrupted", reason);
    return audit.record(event);
  }

  private static boolean flag(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return false;
    }
    if (!(value instanceof Boolean b)) {
      throw ApiException.malformed("The field '" + field + "' must be a boolean.");
    }
    return b;
  }

  /** The roles endpoint's rule ({@link UserFields#roles}); absent: the default. */
  private static List<String> roles(Object value) {
    if (value == null) {
      return Roles.DEFAULT;
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiException.malformed("The field 'roles' must be an array of strings.");
    }
    List<String> names = new ArrayList<>();
    for (Object role : array) {
      if (!(role instanceof String name)) {
        throw ApiException.malformed("The field 'roles' must be an array of strings.");
      }
      names.add(name);
    }
    return UserFields.roles(names);
  }
}
