package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.Uuids;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.UserNotice;
import io.latchkey.user.model.User;
import io.latchkey.user.outbox.OutboxRelay;
import io.latchkey.user.repo.MfaRepository;
import io.latchkey.user.repo.MfaRepository.TotpRow;
import io.latchkey.user.repo.OutboxRepository;
import io.latchkey.user.repo.UserRepository;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The second factor (TOTP and its recovery codes): enrolment, confirmation, removal and
 * regeneration over HTTP, and the code check the auth service asks for at the second login step.
 * Secrets are sealed at rest ({@link MfaSecrets}) and leave the service only once, in the answer
 * to the enrolment; codes, secrets and hashes never reach a log line, the bus or an audit event.
 */
public final class MfaService {

  private static final Logger LOG = LoggerFactory.getLogger(MfaService.class);
  /** Wrong confirming codes after which a pending enrolment is dropped. */
  public static final int MAX_CONFIRM_FAILURES = 5;
  static final String REASON_TOTP = "totp";
  static final String REASON_REGENERATED = "recovery_codes_regenerated";

  /** What an enrolment shows once: the Base32 secret and the key URI an authenticator app reads. */
  public record Enrolment(String secret, String otpauthUri) {
  }

  /** A committed transaction's value, or the refusal to answer with once it committed (it wrote something even so). */
  private record Outcome<T>(T value, ApiException refusal) {

    static <T> Outcome<T> of(T value) {
      return new Outcome<>(value, null);
    }

    static <T> Outcome<T> refused(ApiException refusal) {
      return new Outcome<>(null, refusal);
    }

    Future<T> result() {
      return refusal == null ? Future.succeededFuture(value) : Future.failedFuture(refusal);
    }
  }

  private record Confirmed(Changed changed, List<String> codes) {
  }

  private final Pool pool;
  private final UserRepository users;
  private final MfaRepository mfa;
  private final OutboxRepository outbox;
  private final OutboxRelay relay;
  private final CurrentPassword current;
  private final MfaSecrets secrets;
  private final Totp totp;
  private final String issuer;
  private final AuditTrail audit;

  public MfaService(Pool pool, UserRepository users, MfaRepository mfa, OutboxRepository outbox, OutboxRelay relay,
                    CurrentPassword current, MfaSecrets secrets, Totp totp, String issuer, AuditTrail audit) {
    this.pool = pool;
    this.users = users;
    this.mfa = mfa;
    this.outbox = outbox;
    this.relay = relay;
    this.current = current;
    this.secrets = secrets;
    this.totp = totp;
    this.issuer = issuer;
    this.audit = audit;
  }

  // ---- HTTP: the user's own account

  /** A new pending enrolment (replacing a pending one): its secret, shown this once. */
  public Future<Enrolment> enrol(UUID id, String currentPassword, String requestId) {
    byte[] secret = Totp.newSecret();
    return user(id)
      .compose(user -> user.totpEnabled() ? Future.failedFuture(alreadyEnabled()) : current.check(user, currentPassword, requestId))
      .compose(v -> pool.withTransaction(conn -> locked(conn, id)
        .compose(user -> user.totpEnabled() ? Future.<User>failedFuture(alreadyEnabled())
          : mfa.putPending(conn, id, secrets.seal(id, secret))
            .compose(put -> put ? Future.succeededFuture(user) : Future.<User>failedFuture(alreadyEnabled())))))
      .map(user -> {
        LOG.info("[{}] TOTP enrolment started for user {}", requestId, id);
        String base32 = Totp.base32(secret);
        return new Enrolment(base32, Totp.uri(issuer, user.username(), base32));
      });
  }

  /**
   * Confirms the pending enrolment with a code of its secret: TOTP on, the confirming step used,
   * ten recovery codes (shown this once), the auth service's notice and the audit event in one
   * transaction. A wrong code counts; the {@value #MAX_CONFIRM_FAILURES}th drops the enrolment.
   */
  public Future<List<String>> confirm(UUID id, String code, AuditContext by) {
    String requestId = by.requestId();
    if (code == null) {
      return Future.failedFuture(ApiException.validation("code", "The code is required."));
    }
    if (!Totp.wellFormed(code)) {
      return Future.failedFuture(invalidCode("The code must be the six digits the authenticator app shows."));
    }
    if (id == null) {
      return Future.failedFuture(UserService.userNotFound());
    }
    List<String> codes = RecoveryCodes.generate();
    return pool.<Outcome<Confirmed>>withTransaction(conn -> locked(conn, id).compose(user -> user.totpEnabled()
        ? Future.failedFuture(alreadyEnabled())
        : mfa.find(conn, id).compose(row -> confirmPending(conn, user, row, code, codes, by))))
      .compose(Outcome::result)
      .onSuccess(confirmed -> {
        audit.published(confirmed.changed().audit());
        LOG.info("[{}] TOTP enabled for user {} (notice {})", requestId, id, confirmed.changed().eventId());
      })
      .compose(confirmed -> confirmed.changed().awaited(relay, requestId).map(confirmed.codes()));
  }

  private Future<Outcome<Confirmed>> confirmPending(SqlConnection conn, User user, Optional<TotpRow> row, String code,
                                                    List<String> codes, AuditContext by) {
    UUID id = user.id();
    Optional<byte[]> secret = row.flatMap(r -> secrets.open(id, r.secretSealed()));
    if (secret.isEmpty()) {
      return Future.succeededFuture(Outcome.refused(invalidCode(
        "There is no pending enrolment: start one with POST /users/{id}/mfa/totp.")));
    }
    OptionalLong step = totp.acceptableStep(secret.get(), code, row.get().lastUsedStep());
    if (step.isEmpty()) {
      return mfa.countPendingFailure(conn, id).compose(failures -> {
        if (failures < MAX_CONFIRM_FAILURES) {
          LOG.info("[{}] wrong TOTP confirming code for user {} ({} of {})", by.requestId(), id, failures, MAX_CONFIRM_FAILURES);
          return Future.succeededFuture(Outcome.refused(invalidCode("The code is not correct: check the authenticator app's clock"
            + " and try the code it shows now.")));
        }
        LOG.info("[{}] TOTP enrolment of user {} dropped after {} wrong codes", by.requestId(), id, failures);
        return mfa.delete(conn, id).map(v -> Outcome.refused(invalidCode("The code is not correct, for the "
          + MAX_CONFIRM_FAILURES + "th time: the enrolment was dropped; start again with POST /users/{id}/mfa/totp.")));
      });
    }
    AuditEvent event = by.event(AuditType.MFA_ENABLED, id.toString(), by.sessionId(), REASON_TOTP);
    return mfa.enable(conn, id, step.getAsLong())
      .compose(v -> users.setTotpEnabled(conn, id, true))
      .compose(updated -> mfa.replaceRecoveryCodes(conn, id, hashes(id, codes))
        .compose(v -> audit.insert(conn, event))
        .compose(v -> outbox.insert(conn, UserNotice.Type.MFA_ENABLED, id, null, null, by.requestId()))
        .map(eventId -> Outcome.of(new Confirmed(new Changed(updated, eventId, event), codes))));
  }

  /**
   * Removes TOTP and the recovery codes. {@code currentPassword} is required when {@code own};
   * {@code keepSessionId}: the session the auth service keeps (the caller's own), null for none.
   * A pending enrolment alone is not "enabled": it is dropped, and the answer is 404 mfa_not_enabled.
   */
  public Future<Void> remove(UUID id, String currentPassword, boolean own, String keepSessionId, AuditContext by) {
    String requestId = by.requestId();
    return user(id)
      .compose(user -> !user.totpEnabled() || !own ? Future.<Void>succeededFuture() : current.check(user, currentPassword, requestId))
      .compose(v -> pool.<Outcome<Changed>>withTransaction(conn -> locked(conn, id)
        .compose(user -> mfa.delete(conn, id).compose(deleted -> {
          if (!user.totpEnabled() || deleted.isEmpty() || !deleted.get()) {
            return Future.succeededFuture(Outcome.refused(notEnabled()));
          }
          AuditEvent event = by.event(AuditType.MFA_REMOVED, id.toString(), by.sessionId(), REASON_TOTP);
          return users.setTotpEnabled(conn, id, false)
            .compose(updated -> audit.insert(conn, event)
              .compose(x -> outbox.insert(conn, UserNotice.Type.MFA_REMOVED, id, null, keepSessionId, requestId))
              .map(eventId -> Outcome.of(new Changed(updated, eventId, event))));
        }))))
      .compose(Outcome::result)
      .onSuccess(changed -> {
        audit.published(changed.audit());
        LOG.info("[{}] TOTP removed for user {} (notice {})", requestId, id, changed.eventId());
      })
      .compose(changed -> changed.awaited(relay, requestId))
      .mapEmpty();
  }

  /** Ten new recovery codes (shown this once); the earlier ones stop working in the same transaction. */
  public Future<List<String>> regenerate(UUID id, String currentPassword, AuditContext by) {
    String requestId = by.requestId();
    List<String> codes = RecoveryCodes.generate();
    AuditEvent event = by.event(AuditType.MFA_ENABLED, id == null ? null : id.toString(), by.sessionId(), REASON_REGENERATED);
    return user(id)
      .compose(user -> user.totpEnabled() ? current.check(user, currentPassword, requestId) : Future.failedFuture(notEnabled()))
      .compose(v -> pool.<Void>withTransaction(conn -> locked(conn, id)
        .compose(user -> user.totpEnabled() ? mfa.replaceRecoveryCodes(conn, id, hashes(id, codes)) : Future.failedFuture(notEnabled()))
        .compose(x -> audit.insert(conn, event))))
      .onSuccess(v -> {
        audit.published(event);
        LOG.info("[{}] recovery codes of user {} regenerated", requestId, id);
      })
      .map(codes);
  }

  // ---- bus: the second login step

  /**
   * Checks and uses up a code, for the auth service's second login step. STALE when the first
   * step no longer holds (user gone or disabled, another password version, TOTP off); REJECTED
   * for a wrong, malformed, replayed or used code; ACCEPTED (with the user's current
   * credentials) when one conditional statement used the code up: racing checks of one code,
   * on any number of user nodes, give one ACCEPTED.
   */
  public Future<MfaCheck.Answer> check(MfaCheck request, String requestId) {
    UUID id = Uuids.parseOrNull(request.userId());
    if (id == null) {
      return Future.succeededFuture(logged(MfaCheck.Answer.stale(), request, requestId));
    }
    return users.findById(pool, id).compose(user -> {
      if (stale(user, request)) {
        return Future.succeededFuture(MfaCheck.Answer.stale());
      }
      Future<Optional<User>> used = switch (request.method()) {
        case TOTP -> useTotp(id, request, requestId);
        case RECOVERY_CODE -> useRecoveryCode(id, request);
      };
      return used.compose(accepted -> accepted.isPresent()
        ? Future.succeededFuture(MfaCheck.Answer.accepted(accepted.get().credentials()))
        // nothing used: the code was wrong, or the user changed while we looked
        : users.findById(pool, id).map(now -> stale(now, request) ? MfaCheck.Answer.stale() : MfaCheck.Answer.rejected()));
    }).map(answer -> logged(answer, request, requestId));
  }

  private Future<Optional<User>> useTotp(UUID id, MfaCheck request, String requestId) {
    if (!Totp.wellFormed(request.code())) {
      return Future.succeededFuture(Optional.empty());
    }
    return mfa.find(pool, id).compose(row -> {
      if (row.isEmpty() || !row.get().enabled()) {
        return Future.succeededFuture(Optional.empty());
      }
      Optional<byte[]> secret = secrets.open(id, row.get().secretSealed());
      if (secret.isEmpty()) {
        LOG.error("[{}] the TOTP secret of user {} opens under no configured MFA_SECRET_KEY: the user must re-enrol", requestId, id);
        return Future.succeededFuture(Optional.empty());
      }
      OptionalLong step = totp.acceptableStep(secret.get(), request.code(), row.get().lastUsedStep());
      return step.isEmpty() ? Future.succeededFuture(Optional.empty())
        : mfa.useStep(pool, id, request.passwordVersion(), step.getAsLong());
    });
  }

  private Future<Optional<User>> useRecoveryCode(UUID id, MfaCheck request) {
    String normalized = RecoveryCodes.normalize(request.code());
    if (normalized == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return mfa.useRecoveryCode(pool, id, request.passwordVersion(), secrets.recoveryHashes(id, normalized));
  }

  private static boolean stale(Optional<User> user, MfaCheck request) {
    return user.isEmpty() || user.get().disabled() || !user.get().totpEnabled()
      || user.get().passwordVersion() != request.passwordVersion();
  }

  private static MfaCheck.Answer logged(MfaCheck.Answer answer, MfaCheck request, String requestId) {
    // the user id, the method and the result; never the code
    LOG.info("[{}] second-factor check ({}) of user {}: {}", requestId, request.method().wire(), request.userId(),
      answer.result().wire());
    return answer;
  }

  // ---- helpers

  private List<byte[]> hashes(UUID id, List<String> codes) {
    return codes.stream().map(c -> secrets.recoveryHash(id, RecoveryCodes.normalize(c))).toList();
  }

  private Future<User> user(UUID id) {
    return id == null ? Future.failedFuture(UserService.userNotFound()) : users.findById(pool, id).compose(UserService::orNotFound);
  }

  private Future<User> locked(SqlConnection conn, UUID id) {
    return users.findByIdForUpdate(conn, id).compose(UserService::orNotFound);
  }

  static ApiException invalidCode(String detail) {
    return new ApiException(400, ErrorCodes.INVALID_MFA_CODE, detail);
  }

  static ApiException alreadyEnabled() {
    return new ApiException(409, ErrorCodes.MFA_ALREADY_ENABLED, "A second factor is already enabled; remove it first.");
  }

  static ApiException notEnabled() {
    return ApiException.notFound(ErrorCodes.MFA_NOT_ENABLED, "No second factor is enabled for this user.");
  }
}
