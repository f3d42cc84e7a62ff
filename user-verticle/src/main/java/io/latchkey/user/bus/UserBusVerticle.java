package io.latchkey.user.bus;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.latchkey.common.TextRules;
import io.latchkey.common.Uuids;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.PasskeyCheck;
import io.latchkey.common.bus.PasswordRehash;
import io.latchkey.user.model.User;
import io.latchkey.user.service.MfaService;
import io.latchkey.user.service.PasskeyService;
import io.latchkey.user.service.UserService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Function;

/**
 * The event-bus endpoints the auth service calls, each behind {@link BusReplies#guarded} (the
 * sender's full API key is checked, replies carry ours):
 * <ul>
 *   <li>{@code USER_CREDENTIALS}: {@code {"login"}} (username or email, any case) or
 *   {@code {"userId"}} to {@code Credentials}; 404 user_not_found;</li>
 *   <li>{@code USER_GET}: {@code {"userId"}} to the public user JSON; 404 user_not_found;</li>
 *   <li>{@code USER_MFA_CHECK}: a {@link MfaCheck} to its {@link MfaCheck.Answer}, behind
 *   {@link BusReplies#guardedOnce} (it uses a code up: a replayed copy of a request is refused);</li>
 *   <li>{@code USER_PASSKEY_CHECK}: a {@link PasskeyCheck} to its {@link PasskeyCheck.Answer}, behind
 *   {@link BusReplies#guardedOnce} (it records the passkey's use);</li>
 *   <li>{@code USER_PASSWORD_REHASH}: a {@link PasswordRehash} to its {@link PasswordRehash.Answer},
 *   behind {@link BusReplies#guardedOnce} (it stores a hash).</li>
 * </ul>
 */
public final class UserBusVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(UserBusVerticle.class);

  private final UserService users;
  private final MfaService mfa;
  private final PasskeyService passkeys;
  private final ApiKeys keys;

  public UserBusVerticle(UserService users, MfaService mfa, PasskeyService passkeys, ApiKeys keys) {
    this.users = users;
    this.mfa = mfa;
    this.passkeys = passkeys;
    this.keys = keys;
  }

  @Override
  public Future<?> start() {
    MessageConsumer<JsonObject> credentials = vertx.eventBus()
      .consumer(BusAddresses.USER_CREDENTIALS, BusReplies.guarded(keys, this::credentials));
    MessageConsumer<JsonObject> get = vertx.eventBus()
      .consumer(BusAddresses.USER_GET, BusReplies.guarded(keys, this::get));
    MessageConsumer<JsonObject> mfaCheck = vertx.eventBus()
      .consumer(BusAddresses.USER_MFA_CHECK, BusReplies.guardedOnce(keys, this::mfaCheck));
    MessageConsumer<JsonObject> passkeyCheck = vertx.eventBus()
      .consumer(BusAddresses.USER_PASSKEY_CHECK, BusReplies.guardedOnce(keys, this::passkeyCheck));
    MessageConsumer<JsonObject> rehash = vertx.eventBus()
      .consumer(BusAddresses.USER_PASSWORD_REHASH, BusReplies.guardedOnce(keys, this::rehash));
    return Future.all(List.of(credentials.completion(), get.completion(), mfaCheck.completion(), passkeyCheck.completion(),
      rehash.completion()));
  }

  private Future<JsonObject> rehash(JsonObject body, String requestId) {
    return parsed(body, PasswordRehash::fromJson, "Send a PasswordRehash: userId, passwordVersion, oldHash, newHash.")
      .compose(request -> users.rehashPassword(request, requestId)).map(PasswordRehash.Answer::toJson);
  }

  private Future<JsonObject> passkeyCheck(JsonObject body, String requestId) {
    return parsed(body, PasskeyCheck::fromJson, "Send a PasskeyCheck: challenge (base64url), credential (an assertion object).")
      .compose(check -> passkeys.check(check, requestId)).map(PasskeyCheck.Answer::toJson);
  }

  private Future<JsonObject> mfaCheck(JsonObject body, String requestId) {
    return parsed(body, MfaCheck::fromJson, "Send an MfaCheck: userId, passwordVersion, method (totp or recovery_code), code.")
      .compose(check -> mfa.check(check, requestId)).map(MfaCheck.Answer::toJson);
  }

  /** A bus request read by its record's {@code fromJson}; one it refuses is 400 malformed_request saying what to send. */
  private static <T> Future<T> parsed(JsonObject body, Function<JsonObject, T> fromJson, String expected) {
    try {
      return Future.succeededFuture(fromJson.apply(body));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ApiException.malformed(expected));
    }
  }

  private Future<JsonObject> credentials(JsonObject body, String requestId) {
    Object login = body.getValue("login");
    Object userId = body.getValue("userId");
    Future<User> user;
    if (login instanceof String l && !l.isBlank()) {
      // what no user can have (control characters, a lone surrogate) is 400, never a query PostgreSQL refuses
      user = users.byLogin(TextRules.check("login", l));
    } else if (userId instanceof String id) {
      user = users.get(Uuids.parseOrNull(id));
    } else {
      return Future.failedFuture(ApiException.validation("login", "Send {\"login\"} or {\"userId\"}."));
    }
    return user
      .onFailure(err -> LOG.debug("[{}] credentials lookup: {}", requestId, err.getMessage()))
      .map(u -> u.credentials().toJson());
  }

  private Future<JsonObject> get(JsonObject body, String requestId) {
    Object userId = body.getValue("userId");
    if (!(userId instanceof String id)) {
      return Future.failedFuture(ApiException.validation("userId", "Send {\"userId\"}."));
    }
    return users.get(Uuids.parseOrNull(id)).map(User::toPublicJson);
  }
}
