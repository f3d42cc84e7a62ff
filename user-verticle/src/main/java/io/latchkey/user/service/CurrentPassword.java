package io.latchkey.user.service;

import io.latchkey.common.ApiException;
import io.latchkey.common.BcryptPool;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.PasswordCheck.Step;
import io.latchkey.user.model.User;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current password a change asks for (a password or email change, the second factor's
 * enrolment, removal and regeneration), counted like a login of that user by the auth service
 * ({@link PasswordChecks}): reserved before bcrypt (429 while the account is locked, 503 when the
 * auth service cannot count it), then reported failed, succeeded, or released when bcrypt could
 * not run. A wrong one is 403 invalid_current_password.
 */
public final class CurrentPassword {

  private static final Logger LOG = LoggerFactory.getLogger(CurrentPassword.class);

  private final PasswordChecks checks;
  private final BcryptPool bcrypt;

  public CurrentPassword(PasswordChecks checks, BcryptPool bcrypt) {
    this.checks = checks;
    this.bcrypt = bcrypt;
  }

  public Future<Void> check(User user, String currentPassword, String requestId) {
    if (currentPassword == null) {
      return Future.failedFuture(invalid());
    }
    return checks.reserve(user.id(), requestId)
      .compose(v -> bcrypt.verifyPassword(currentPassword, user.passwordHash())
        .recover(err -> checks.report(user.id(), Step.RELEASED, requestId).transform(x -> Future.failedFuture(err))))
      .compose(ok -> {
        if (ok) {
          return checks.report(user.id(), Step.SUCCEEDED, requestId);
        }
        LOG.info("[{}] wrong current password for user {}", requestId, user.id());
        return checks.report(user.id(), Step.FAILED, requestId).transform(x -> Future.failedFuture(invalid()));
      });
  }

  static ApiException invalid() {
    return new ApiException(403, ErrorCodes.INVALID_CURRENT_PASSWORD, "The current password is missing or not correct.");
  }
}
