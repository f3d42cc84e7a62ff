package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.LoginKeys;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.UserNotice;
import io.latchkey.user.mail.MailQueue;
import io.latchkey.user.mail.MailRelay;
import io.latchkey.user.mail.MailTokens;
import io.latchkey.user.model.User;
import io.latchkey.user.outbox.OutboxRelay;
import io.latchkey.user.repo.MailTokenRepository.Purpose;
import io.latchkey.user.repo.MailTokenRepository.StoredToken;
import io.latchkey.user.repo.MailTokenRepository;
import io.latchkey.user.repo.OutboxRepository;
import io.latchkey.user.repo.UserRepository;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The account lifecycle: verifying an address, resetting a forgotten password, disabling and
 * enabling an account. Every change is written with its notice for the auth service (and its
 * mail) in one transaction; a reset and a disable are revocation events on every auth node.
 *
 * <ul>
 *   <li>Tokens by mail are single-use, expiring, and retired by newer ones; an unknown, used,
 *       retired or expired token, or one for an address the user no longer has, gets one answer
 *       (400 invalid_verification_token / invalid_reset_token) after the same lookup.</li>
 *   <li>A reset request writes one row whoever the address belongs to (the mail relay resolves
 *       it) and answers 202 with one body, so its status, body, headers and time say nothing
 *       about who exists; past a limit (per address, per client IP) it answers the same and
 *       writes nothing.</li>
 * </ul>
 */
public final class AccountService {

  private static final Logger LOG = LoggerFactory.getLogger(AccountService.class);


  private final Pool pool;
  private final UserRepository users;
  private final MailTokenRepository tokens;
  private final OutboxRepository outbox;
  private final OutboxRelay relay;
  private final MailQueue mail;
  private final MailRelay mailRelay;
  private final BcryptPool bcrypt;
  private final PasswordPolicy policy;
  private final RequestLimit verifySends;
  private final RequestLimit resetsPerAddress;
  private final RequestLimit resetsPerIp;
  private final AuditTrail audit;

  public AccountService(Pool pool, UserRepository users, MailTokenRepository tokens, OutboxRepository outbox, OutboxRelay relay,
                        MailQueue mail, MailRelay mailRelay, BcryptPool bcrypt, PasswordPolicy policy, RequestLimit verifySends,
                        RequestLimit resetsPerAddress, RequestLimit resetsPerIp, AuditTrail audit) {
    this.audit = audit;
    this.pool = pool;
    this.users = users;
    this.tokens = tokens;
    this.outbox = outbox;
    this.relay = relay;
    this.mail = mail;
    this.mailRelay = mailRelay;
    this.bcrypt = bcrypt;
    this.policy = policy;
    this.verifySends = verifySends;
    this.resetsPerAddress = resetsPerAddress;
    this.resetsPerIp = resetsPerIp;
  }

  public Future<Void> start() {
    return Future.all(verifySends.start(), resetsPerAddress.start(), resetsPerIp.start()).mapEmpty();
  }

  // ---- verification

  /** Queues a verification mail for the user's current address (older verification tokens retired). */
  public Future<Void> sendVerification(UUID id, String requestId) {
    if (id == null) {
      return Future.failedFuture(UserService.userNotFound());
    }
    return users.findById(pool, id).compose(UserService::orNotFound)
      .compose(user -> user.emailVerified() ? Future.failedFuture(alreadyVerified()) : Future.succeededFuture(user))
      .compose(user -> verifySends.take("user:" + id).compose(retryAfter -> retryAfter > 0
        ? Future.failedFuture(new ApiException(429, ErrorCodes.TOO_MANY_REQUESTS,
            "Too many verification mails for this account; try again later.").withHeader("Retry-After", String.valueOf(retryAfter)))
        : Future.succeededFuture(user)))
      .compose(counted -> pool.withTransaction(conn -> users.findByIdForUpdate(conn, id).compose(UserService::orNotFound)
        .compose(user -> user.emailVerified() ? Future.failedFuture(alreadyVerified()) : mail.verification(conn, user, requestId))))
      .onSuccess(mailId -> {
        LOG.info("[{}] verification mail {} queued for user {}", requestId, mailId, id);
        mailRelay.kick();
      })
      .mapEmpty();
  }

  /** Marks the address of the token's user verified; 400 invalid_verification_token for any token that does not do that. */
  public Future<User> verifyEmail(String token, AuditContext by) {
    String requestId = by.requestId();
    if (!MailTokens.wellFormed(token)) {
      return Future.failedFuture(invalidVerificationToken());
    }
    byte[] hash = MailTokens.hash(token);
    return pool.<Changed>withTransaction(conn -> tokens.findForUpdate(conn, hash, Purpose.VERIFY_EMAIL)
        .compose(found -> usableFor(conn, found))
        .compose(user -> {
          if (user.isEmpty()) {
            return Future.failedFuture(invalidVerificationToken());
          }
          AuditEvent event = by.event(AuditType.EMAIL_VERIFIED, user.get().id().toString());
          return tokens.markUsed(conn, hash)
            .compose(v -> user.get().emailVerified() ? Future.succeededFuture(new Changed(user.get(), null, null))
              : users.markEmailVerified(conn, user.get().id())
                .compose(verified -> audit.insert(conn, event)
                  .compose(x -> outbox.insert(conn, UserNotice.Type.EMAIL_VERIFIED, verified.id(), null, null, requestId))
                  .map(eventId -> new Changed(verified, eventId, event))));
        }))
      .onSuccess(changed -> audit.published(changed.audit()))
      .onSuccess(changed -> LOG.info("[{}] email of user {} verified", requestId, changed.user().id()))
      .compose(changed -> changed.awaited(relay, requestId));
  }

  // ---- password reset

  /**
   * Accepts a reset request for {@code email}: 202 whatever the address, the same work for every
   * address (two counters and one insert, or only the counters past a limit).
   */
  public Future<Void> requestReset(String email, String clientIp, String requestId) {
    String normalized = UserFields.normalizeEmail(email);
    Future<Long> perIp = resetsPerIp.take("ip:" + TrustedProxies.throttleKey(clientIp));
    Future<Long> perAddress = resetsPerAddress.take("email:" + LoginKeys.of(normalized));
    return Future.all(perIp, perAddress).compose(counted -> {
      if (perIp.result() > 0 || perAddress.result() > 0) {
        LOG.info("[{}] reset request over the {} limit: accepted, no mail", requestId, perIp.result() > 0 ? "client IP" : "address");
        return Future.succeededFuture();
      }
      return mail.resetRequest(pool, normalized, requestId).map(mailId -> {
        LOG.info("[{}] reset request {} queued", requestId, mailId);
        mailRelay.kick();
        return null;
      });
    });
  }

  /**
   * Replaces the password of the reset token's user: a new password version, every session of
   * the user revoked on every auth node, the login lockout cleared (one PASSWORD_RESET notice),
   * every open reset token retired. The address the token went to is verified by it.
   */
  public Future<Void> confirmReset(String token, String newPassword, AuditContext by) {
    String requestId = by.requestId();
    List<ApiException.FieldError> errors = new ArrayList<>();
    if (token == null) {
      errors.add(new ApiException.FieldError("token", "The token is required."));
    }
    if (newPassword == null) {
      errors.add(new ApiException.FieldError("newPassword", "The new password is required."));
    }
    if (!errors.isEmpty()) {
      return Future.failedFuture(ApiException.validation(errors));
    }
    if (!MailTokens.wellFormed(token)) {
      return Future.failedFuture(invalidResetToken());
    }
    Optional<String> weak = policy.problem(newPassword);
    if (weak.isPresent()) {
      return Future.failedFuture(UserService.weakPassword("newPassword", weak.get()));
    }
    byte[] hash = MailTokens.hash(token);
    // the token is checked before bcrypt runs (no anonymous hashing for a made-up token), and again under its lock
    return pool.withConnection(conn -> tokens.findForUpdate(conn, hash, Purpose.PASSWORD_RESET).compose(found -> usableFor(conn, found)))
      .compose(user -> user.isPresent() ? bcrypt.hash(PasswordPolicy.normalize(newPassword)) : Future.failedFuture(invalidResetToken()))
      .compose(passwordHash -> pool.<Changed>withTransaction(conn -> tokens.findForUpdate(conn, hash, Purpose.PASSWORD_RESET)
        .compose(found -> usableFor(conn, found))
        .compose(user -> {
          if (user.isEmpty()) {
            return Future.failedFuture(invalidResetToken());
          }
          User u = user.get();
          AuditEvent event = by.event(AuditType.PASSWORD_RESET, u.id().toString());
          return tokens.markUsed(conn, hash)
            .compose(v -> tokens.retireOpen(conn, u.id(), Purpose.PASSWORD_RESET))
            // a reset keeps no session
            .compose(n -> users.updatePassword(conn, u.id(), passwordHash, null))
            // the reset link reached this address: it is the user's
            .compose(updated -> updated.emailVerified() ? Future.succeededFuture(updated) : users.markEmailVerified(conn, u.id()))
            .compose(updated -> audit.insert(conn, event)
              .compose(v -> outbox.insert(conn, UserNotice.Type.PASSWORD_RESET, u.id(), updated.passwordVersion(), null, requestId))
              .map(eventId -> new Changed(updated, eventId, event)));
        })))
      .onSuccess(changed -> audit.published(changed.audit()))
      .onSuccess(changed -> LOG.info("[{}] password of user {} reset to version {}", requestId, changed.user().id(),
        changed.user().passwordVersion()))
      .compose(changed -> changed.awaited(relay, requestId))
      .mapEmpty();
  }

  // ---- disable and enable

  public Future<User> disable(UUID id, AuditContext by) {
    return setDisabled(id, true, by);
  }

  public Future<User> enable(UUID id, AuditContext by) {
    return setDisabled(id, false, by);
  }

  private Future<User> setDisabled(UUID id, boolean disabled, AuditContext by) {
    String requestId = by.requestId();
    if (id == null) {
      return Future.failedFuture(UserService.userNotFound());
    }
    AuditEvent event = by.event(disabled ? AuditType.USER_DISABLED : AuditType.USER_ENABLED, id.toString());
    return pool.<Changed>withTransaction(conn -> users.findByIdForUpdate(conn, id).compose(UserService::orNotFound)
        .compose(current -> current.disabled() == disabled
          ? Future.succeededFuture(new Changed(current, null, null))
          : users.setDisabled(conn, id, disabled)
            .compose(updated -> audit.insert(conn, event)
              .compose(v -> outbox.insert(conn, disabled ? UserNotice.Type.USER_DISABLED : UserNotice.Type.USER_ENABLED, id,
                null, null, requestId))
              .map(eventId -> new Changed(updated, eventId, event)))))
      .onSuccess(changed -> audit.published(changed.audit()))
      .onSuccess(changed -> LOG.info("[{}] user {} {}", requestId, id, disabled ? "disabled" : "enabled"))
      .compose(changed -> changed.awaited(relay, requestId));
  }

  // ---- helpers

  /** The token's user, locked, when the token is usable and still for the user's current address. */
  private Future<Optional<User>> usableFor(SqlConnection conn, Optional<StoredToken> found) {
    if (found.isEmpty() || !found.get().usable()) {
      return Future.succeededFuture(Optional.empty());
    }
    StoredToken token = found.get();
    return users.findByIdForUpdate(conn, token.userId())
      .map(user -> user.filter(u -> LoginKeys.of(u.email()).equals(token.emailKey())));
  }


  private static ApiException alreadyVerified() {
    return new ApiException(409, ErrorCodes.EMAIL_ALREADY_VERIFIED, "This email address is already verified.");
  }

  static ApiException invalidVerificationToken() {
    return new ApiException(400, ErrorCodes.INVALID_VERIFICATION_TOKEN,
      "The verification token is unknown, used or expired, or the address changed since it was sent.");
  }

  static ApiException invalidResetToken() {
    return new ApiException(400, ErrorCodes.INVALID_RESET_TOKEN, "The reset token is unknown, used or expired.");
  }
}
