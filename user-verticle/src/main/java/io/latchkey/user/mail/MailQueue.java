package io.latchkey.user.mail;

import io.latchkey.common.LoginKeys;
import io.latchkey.user.model.User;
import io.latchkey.user.repo.MailOutboxRepository.Kind;
import io.latchkey.user.repo.MailOutboxRepository;
import io.latchkey.user.repo.MailTokenRepository.Purpose;
import io.latchkey.user.repo.MailTokenRepository;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;

/**
 * Queues mails in the mail outbox, inside the transaction of the change that causes them, with
 * their token: a new random token is stored as its hash, the user's older open tokens of the
 * same purpose are retired, and the mail row carries the token sealed ({@link TokenSeal}) until
 * the relay sent it.
 */
public final class MailQueue {

  private final MailTokenRepository tokens;
  private final MailOutboxRepository mails;
  private final TokenSeal seal;
  private final MailSettings settings;

  public MailQueue(MailTokenRepository tokens, MailOutboxRepository mails, TokenSeal seal, MailSettings settings) {
    this.tokens = tokens;
    this.mails = mails;
    this.seal = seal;
    this.settings = settings;
  }

  /** A verification mail to the user's current address; older verification tokens stop working. */
  public Future<Long> verification(SqlClient conn, User user, String requestId) {
    return newToken(conn, user, Purpose.VERIFY_EMAIL, settings.verifyTtlSeconds())
      .compose(sealed -> mails.insert(conn, Kind.VERIFY_EMAIL, user.id(), user.email(), sealed, requestId));
  }

  /** The notice to the address an account had before an email change (no token). */
  public Future<Long> emailChanged(SqlClient conn, User user, String oldEmail, String requestId) {
    return mails.insert(conn, Kind.EMAIL_CHANGED, user.id(), oldEmail, null, requestId);
  }

  /** A reset asked for an address, whoever it belongs to: the relay resolves it ({@link MailRelay}). */
  public Future<Long> resetRequest(SqlClient client, String email, String requestId) {
    return mails.insert(client, Kind.RESET_REQUEST, null, email, null, requestId);
  }

  /** A new reset token for the user (older ones retired), sealed for the mail that carries it. */
  Future<byte[]> resetToken(SqlClient conn, User user) {
    return newToken(conn, user, Purpose.PASSWORD_RESET, settings.resetTtlSeconds());
  }

  /** Retires every open token of the user for a purpose (a password change retires the reset tokens). */
  public Future<Integer> retire(SqlClient conn, User user, Purpose purpose) {
    return tokens.retireOpen(conn, user.id(), purpose);
  }

  private Future<byte[]> newToken(SqlClient conn, User user, Purpose purpose, long ttlSeconds) {
    String token = MailTokens.newToken();
    return tokens.retireOpen(conn, user.id(), purpose)
      .compose(n -> tokens.insert(conn, MailTokens.hash(token), user.id(), purpose, LoginKeys.of(user.email()), ttlSeconds))
      .map(v -> seal.seal(token));
  }
}
