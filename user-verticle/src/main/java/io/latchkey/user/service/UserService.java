package io.latchkey.user.service;

import io.latchkey.common.ApiException.FieldError;
import io.latchkey.common.AdminQueries;
import io.latchkey.common.ApiException;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.DbErrors;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.TextRules;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.Uuids;
import io.latchkey.common.bus.PasswordRehash;
import io.latchkey.common.bus.UserNotice;
import io.latchkey.common.hash.HashLimits;
import io.latchkey.common.hash.PasswordHash;
import io.latchkey.common.hash.PasswordHashes;
import io.latchkey.common.hash.UnsupportedHashException;
import io.latchkey.user.mail.MailQueue;
import io.latchkey.user.mail.MailRelay;
import io.latchkey.user.model.Roles;
import io.latchkey.user.model.User;
import io.latchkey.user.outbox.OutboxRelay;
import io.latchkey.user.repo.MailTokenRepository.Purpose;
import io.latchkey.user.repo.OutboxRepository;
import io.latchkey.user.repo.UserRepository;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The rules of the user service: validation, the password policy, bcrypt on its bounded pool,
 * and every change together with its outbox notice and its audit event in one transaction
 * (rolled back together; the event's JSON line is logged after the commit). A change that
 * produces a notice answers once the auth service acknowledged it, or after the notice wait bound.
 */
public final class UserService {

  private static final Logger LOG = LoggerFactory.getLogger(UserService.class);

  /** A new user as sent (strings already type-checked). */
  public record Registration(String username, String email, String password, String displayName) {
  }

  /**
   * A partial profile update: a field is changed only when present. {@code currentPassword}
   * proves an email change when {@code own} (the user changing their own address).
   */
  public record ProfileChange(boolean emailPresent, String email, boolean displayNamePresent, String displayName,
                              String currentPassword, boolean own) {
  }

  /** One page of a search. */
  public record Page(List<User> items, String nextCursor) {
  }


  private final Pool pool;
  private final UserRepository users;
  private final OutboxRepository outbox;
  private final OutboxRelay relay;
  private final BcryptPool bcrypt;
  private final PasswordPolicy policy;
  private final CurrentPassword current;
  private final MailQueue mail;
  private final MailRelay mailRelay;
  private final AuditTrail audit;
  private final AdminQueries admin;

  public UserService(Pool pool, UserRepository users, OutboxRepository outbox, OutboxRelay relay, BcryptPool bcrypt,
                     PasswordPolicy policy, CurrentPassword current, MailQueue mail, MailRelay mailRelay, AuditTrail audit,
                     AdminQueries admin) {
    this.audit = audit;
    this.admin = admin;
    this.pool = pool;
    this.users = users;
    this.outbox = outbox;
    this.relay = relay;
    this.bcrypt = bcrypt;
    this.policy = policy;
    this.current = current;
    this.mail = mail;
    this.mailRelay = mailRelay;
  }

  // ---- registration and credentials

  public Future<User> register(Registration r, String requestId) {
    List<FieldError> errors = new ArrayList<>();
    UserFields.checkUsername(r.username(), errors);
    UserFields.checkEmail(r.email() == null ? null : r.email().trim(), errors);
    UserFields.checkDisplayName(r.displayName(), errors);
    if (r.password() == null) {
      errors.add(new FieldError("password", "The password is required."));
    }
    if (!errors.isEmpty()) {
      return Future.failedFuture(ApiException.validation(errors));
    }
    Optional<String> weak = policy.problem(r.password());
    if (weak.isPresent()) {
      return Future.failedFuture(weakPassword("password", weak.get()));
    }
    String email = UserFields.normalizeEmail(r.email());
    UUID id = UUID.randomUUID();
    // the user and their verification mail commit together: no account without its mail
    return bcrypt.hash(PasswordPolicy.normalize(r.password()))
      .compose(hash -> pool.withTransaction(conn -> users.insert(conn, id, r.username(), email, r.displayName(), hash)
        .compose(user -> mail.verification(conn, user, requestId).map(user))))
      .recover(UserService::mapUniqueViolation)
      .onSuccess(u -> {
        LOG.info("[{}] user {} registered, verification mail queued", requestId, u.id());
        mailRelay.kick();
      });
  }

  /** The user whose login and password match; 401 invalid_credentials otherwise (same bcrypt work either way). */
  public Future<User> verifyCredentials(String login, String password, String requestId) {
    return users.findByLogin(pool, login.trim()).compose(found -> {
      if (found.isEmpty()) {
        return bcrypt.verifyDummy(password).compose(ignored -> Future.failedFuture(invalidCredentials()));
      }
      User user = found.get();
      // bcrypt or an imported hash, each by its own rule; a password that can never match costs the same work
      return bcrypt.verifyPassword(password, user.passwordHash()).compose(ok -> {
        if (!ok) {
          LOG.info("[{}] credentials refused for user {}", requestId, user.id());
          return Future.failedFuture(invalidCredentials());
        }
        return Future.succeededFuture(user);
      });
    });
  }

  // ---- reading

  public Future<User> get(UUID id) {
    if (id == null) {
      return Future.failedFuture(userNotFound());
    }
    return users.findById(pool, id).compose(UserService::orNotFound);
  }

  /**
   * Stores the bcrypt upgrade of the hash a login was checked against ({@link PasswordRehash}), by
   * compare-and-set; {@code stale} when the hash or password version changed since (or the user is
   * gone). No password version change, no notice, no session revoked: the password is the same. The
   * new hash must be bcrypt (400 otherwise): the bus carries no other kind this way.
   */
  public Future<PasswordRehash.Answer> rehashPassword(PasswordRehash request, String requestId) {
    PasswordHash upgrade;
    try {
      upgrade = PasswordHashes.parse(request.newHash(), HashLimits.defaults().withBcryptCost(4, 31));
    } catch (UnsupportedHashException e) {
      upgrade = null;
    }
    if (upgrade == null || !upgrade.isBcrypt()) {
      return Future.failedFuture(ApiException.validation("newHash", "The new hash must be bcrypt."));
    }
    UUID id = Uuids.parseOrNull(request.userId());
    if (id == null) {
      return Future.succeededFuture(PasswordRehash.Answer.stale());
    }
    return users.replaceHash(pool, id, request.passwordVersion(), request.oldHash(), upgrade.encoded()).map(updated -> {
      if (updated.isEmpty()) {
        LOG.info("[{}] password hash of user {} not upgraded: it changed since the login", requestId, id);
        return PasswordRehash.Answer.stale();
      }
      LOG.info("[{}] password hash of user {} upgraded to bcrypt", requestId, id);
      return PasswordRehash.Answer.installed(updated.get().credentials());
    });
  }

  public Future<User> byUsername(String username) {
    return users.findByUsername(pool, username).compose(UserService::orNotFound);
  }

  public Future<User> byEmail(String email) {
    return users.findByEmail(pool, email.trim()).compose(UserService::orNotFound);
  }

  public Future<User> byLogin(String login) {
    return users.findByLogin(pool, login.trim()).compose(UserService::orNotFound);
  }

  /**
   * Plain-text search on username, email and display name, without regard to case; an admin
   * query (its own pool, ADMIN_QUERY_TIMEOUT_MS: past it, 503 query_timeout).
   */
  public Future<Page> search(String text, int limit, SearchCursor after, String requestId) {
    if (text != null && text.indexOf(UserRepository.SEARCH_SEPARATOR) >= 0) {
      // TextRules refuses control characters at the edge; the separator of the searched fields must never be searched for
      return Future.failedFuture(ApiException.validation("search", TextRules.BROKEN_TEXT));
    }
    String pattern = text == null || text.isEmpty() ? null : "%" + escapeLike(text) + "%";
    return admin.run("user search", requestId,
        client -> users.search(client, pattern, after == null ? null : after.createdAt(), after == null ? null : after.id(), limit + 1))
      .map(found -> {
        if (found.size() <= limit) {
          return new Page(found, null);
        }
        List<User> page = found.subList(0, limit);
        User last = page.get(limit - 1);
        return new Page(List.copyOf(page), new SearchCursor(last.createdAt(), last.id()).encode());
      });
  }

  static String escapeLike(String text) {
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  // ---- changes

  public Future<User> updateProfile(UUID id, ProfileChange change, AuditContext by) {
    String requestId = by.requestId();
    List<FieldError> errors = new ArrayList<>();
    if (change.emailPresent()) {
      if (change.email() == null) {
        errors.add(new FieldError("email", "The email cannot be removed."));
      } else {
        UserFields.checkEmail(change.email().trim(), errors);
      }
    }
    if (change.displayNamePresent()) {
      UserFields.checkDisplayName(change.displayName(), errors);
    }
    if (!errors.isEmpty()) {
      return Future.failedFuture(ApiException.validation(errors));
    }
    if (id == null) {
      return Future.failedFuture(userNotFound());
    }
    // your own new address needs your current password: a stolen access token alone must not
    // be enough to point the account's reset mails at someone else
    return get(id)
      .compose(user -> !change.own() || !change.emailPresent() || UserFields.normalizeEmail(change.email()).equals(user.email())
        ? Future.<Void>succeededFuture()
        : change.currentPassword() == null ? Future.failedFuture(invalidCurrentPassword())
        : checkCurrent(user, change.currentPassword(), requestId))
      .compose(checked -> pool.<Changed>withTransaction(conn -> users.findByIdForUpdate(conn, id).compose(UserService::orNotFound)
        .compose(current -> {
          String email = change.emailPresent() ? UserFields.normalizeEmail(change.email()) : current.email();
          String displayName = change.displayNamePresent() ? change.displayName() : current.displayName();
          boolean emailChanged = !email.equals(current.email());
          if (!emailChanged && Objects.equals(displayName, current.displayName())) {
            return Future.succeededFuture(new Changed(current, null, null));
          }
          if (emailChanged && change.own() && change.currentPassword() == null) {
            // the address changed since the check above let a request without a password through
            return Future.failedFuture(invalidCurrentPassword());
          }
          return users.updateProfile(conn, id, email, displayName).compose(updated -> emailChanged
            ? emailChanged(conn, current, updated, by)
            : Future.succeededFuture(new Changed(updated, null, null)));
        })))
      .recover(UserService::mapUniqueViolation)
      .onSuccess(changed -> {
        audit.published(changed.audit());
        if (changed.eventId() != null) {
          mailRelay.kick();
        }
      })
      .compose(changed -> changed.awaited(relay, requestId));
  }

  /**
   * An email change, in its transaction: its audit event, the auth service's notice, the tokens sent to the old
   * address retired (verification and reset), a verification mail to the new address and a
   * notice to the old one.
   */
  private Future<Changed> emailChanged(SqlConnection conn, User before, User after, AuditContext by) {
    String requestId = by.requestId();
    AuditEvent event = by.event(AuditType.EMAIL_CHANGED, after.id().toString());
    return audit.insert(conn, event)
      .compose(v -> mail.retire(conn, after, Purpose.VERIFY_EMAIL))
      .compose(n -> mail.retire(conn, after, Purpose.PASSWORD_RESET))
      .compose(n -> mail.verification(conn, after, requestId))
      .compose(id -> mail.emailChanged(conn, after, before.email(), requestId))
      .compose(id -> outbox.insert(conn, UserNotice.Type.EMAIL_CHANGED, after.id(), null, null, requestId))
      .map(eventId -> new Changed(after, eventId, event));
  }

  public Future<Void> delete(UUID id, AuditContext by) {
    String requestId = by.requestId();
    if (id == null) {
      return Future.failedFuture(userNotFound());
    }
    AuditEvent event = by.event(AuditType.USER_DELETED, id.toString());
    return pool.<Long>withTransaction(conn -> users.delete(conn, id).compose(deleted -> deleted
        ? audit.insert(conn, event).compose(v -> outbox.insert(conn, UserNotice.Type.USER_DELETED, id, null, null, requestId))
        : Future.failedFuture(userNotFound())))
      .onSuccess(eventId -> {
        audit.published(event);
        LOG.info("[{}] user {} deleted (notice {})", requestId, id, eventId);
      })
      .compose(eventId -> relay.deliverAndAwait(id, eventId, requestId))
      .mapEmpty();
  }

  /**
   * Changes the password. {@code currentPassword} is checked when given, and must be given when
   * {@code currentRequired}. {@code keepSessionId} is the session the auth service keeps alive.
   */
  public Future<Void> changePassword(UUID id, String currentPassword, String newPassword, boolean currentRequired,
                                     String keepSessionId, AuditContext by) {
    String requestId = by.requestId();
    List<FieldError> errors = new ArrayList<>();
    if (currentRequired && currentPassword == null) {
      errors.add(new FieldError("currentPassword", "The current password is required to change your own password."));
    }
    if (newPassword == null) {
      errors.add(new FieldError("newPassword", "The new password is required."));
    }
    if (!errors.isEmpty()) {
      return Future.failedFuture(ApiException.validation(errors));
    }
    if (id == null) {
      return Future.failedFuture(userNotFound());
    }
    return get(id)
      .compose(user -> currentPassword == null ? Future.succeededFuture() : checkCurrent(user, currentPassword, requestId))
      .compose(v -> policy.problem(newPassword)
        .map(problem -> Future.<Void>failedFuture(weakPassword("newPassword", problem)))
        .orElseGet(Future::succeededFuture))
      .compose(v -> bcrypt.hash(PasswordPolicy.normalize(newPassword)))
      .compose(hash -> pool.<Changed>withTransaction(conn -> users.findByIdForUpdate(conn, id).compose(UserService::orNotFound)
        // a reset link sent before this change must not undo it
        .compose(locked -> mail.retire(conn, locked, Purpose.PASSWORD_RESET))
        .compose(retired -> users.updatePassword(conn, id, hash, keepSessionId))
        .compose(updated -> {
          AuditEvent event = by.event(AuditType.PASSWORD_CHANGED, id.toString());
          return audit.insert(conn, event)
            .compose(v -> outbox.insert(conn, UserNotice.Type.PASSWORD_CHANGED, id, updated.passwordVersion(), keepSessionId, requestId))
            .map(eventId -> new Changed(updated, eventId, event));
        })))
      .onSuccess(changed -> audit.published(changed.audit()))
      .onSuccess(changed -> LOG.info("[{}] password of user {} changed to version {}", requestId, id, changed.user().passwordVersion()))
      .compose(changed -> changed.awaited(relay, requestId))
      .mapEmpty();
  }

  private Future<Void> checkCurrent(User user, String currentPassword, String requestId) {
    return current.check(user, currentPassword, requestId);
  }

  /** Writes the password-changed notice again (current version, no session kept) and starts its delivery. */
  public Future<Long> resendPasswordChanged(UUID id, String requestId) {
    if (id == null) {
      return Future.failedFuture(userNotFound());
    }
    return pool.<Long>withTransaction(conn -> users.findByIdForUpdate(conn, id).compose(UserService::orNotFound)
        // the same notice again: it keeps the session the change itself kept, not a fresh "revoke all"
        .compose(user -> users.keptSession(conn, id)
          .compose(kept -> outbox.insert(conn, UserNotice.Type.PASSWORD_CHANGED, id, user.passwordVersion(), kept, requestId))))
      .onSuccess(eventId -> {
        LOG.info("[{}] password-changed notice {} for user {} queued again", requestId, eventId, id);
        relay.deliverUser(id).onFailure(err -> LOG.warn("[{}] immediate delivery for user {} failed: {}", requestId, id, err.toString()));
      });
  }

  /** Sets the roles (a non-empty subset of user/admin); a real change notifies the auth service. */
  public Future<User> setRoles(UUID id, List<String> requested, AuditContext by) {
    String requestId = by.requestId();
    List<String> roles;
    try {
      roles = UserFields.roles(requested);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    if (id == null) {
      return Future.failedFuture(userNotFound());
    }
    return pool.<Changed>withTransaction(conn -> users.findByIdForUpdate(conn, id).compose(UserService::orNotFound)
        .compose(current -> {
          if (Set.copyOf(current.roles()).equals(Set.copyOf(roles))) {
            return Future.succeededFuture(new Changed(current, null, null));
          }
          // the reason says what the roles became (never anything secret)
          AuditEvent event = by.event(AuditType.ROLES_CHANGED, id.toString(), by.sessionId(), String.join(",", roles));
          return users.updateRoles(conn, id, roles)
            .compose(updated -> audit.insert(conn, event)
              .compose(v -> outbox.insert(conn, UserNotice.Type.ROLES_CHANGED, id, null, null, requestId))
              .map(eventId -> new Changed(updated, eventId, event)));
        }))
      .onSuccess(changed -> audit.published(changed.audit()))
      .onSuccess(changed -> LOG.info("[{}] roles of user {} are {}", requestId, id, changed.user().roles()))
      .compose(changed -> changed.awaited(relay, requestId));
  }


  // ---- failures

  private static <T> Future<T> mapUniqueViolation(Throwable err) {
    Optional<String> constraint = DbErrors.uniqueViolation(err);
    if (constraint.isPresent()) {
      if (UserRepository.USERNAME_INDEX.equals(constraint.get())) {
        return Future.failedFuture(new ApiException(409, ErrorCodes.USERNAME_TAKEN, "This username is already taken."));
      }
      if (UserRepository.EMAIL_INDEX.equals(constraint.get())) {
        return Future.failedFuture(new ApiException(409, ErrorCodes.EMAIL_TAKEN, "This email is already registered."));
      }
    }
    return Future.failedFuture(err);
  }

  static ApiException invalidCurrentPassword() {
    return CurrentPassword.invalid();
  }

  static <T> Future<T> orNotFound(Optional<T> value) {
    return value.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(userNotFound()));
  }

  public static ApiException userNotFound() {
    return ApiException.notFound(ErrorCodes.USER_NOT_FOUND, "No such user.");
  }

  private static ApiException invalidCredentials() {
    return new ApiException(401, ErrorCodes.INVALID_CREDENTIALS, "The login or the password is not correct.");
  }

  static ApiException weakPassword(String field, String message) {
    return new ApiException(400, ErrorCodes.WEAK_PASSWORD, message, List.of(new FieldError(field, message)));
  }
}
