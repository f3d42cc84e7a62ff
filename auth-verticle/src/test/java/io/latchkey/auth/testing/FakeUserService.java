package io.latchkey.auth.testing;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.PasskeyCheck;
import io.latchkey.common.bus.PasswordRehash;
import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test double of the user service's bus endpoints ({@code USER_CREDENTIALS}, {@code USER_GET}),
 * key-checked like the real ones, answering from an in-test map with real bcrypt hashes (cost 4)
 * and timestamps in PostgreSQL's precision (microseconds). {@link #stop()} makes the user service
 * "down" (no handler: the auth side sees 503 user_service_unavailable) until {@link #start()};
 * {@link #holdNextAnswer()} holds its next credentials answer, as it was when asked, until the
 * test releases it (a slow fill).
 *
 * <p>{@code USER_MFA_CHECK} follows the user service's rules: a per-user TOTP secret (RFC 6238,
 * SHA-1, 6 digits, 30 s, one step of drift either way) with the last used step (a step is
 * accepted once), ten recovery codes each accepted once, and STALE for an unknown or disabled
 * user, a user without the factor, or another password version than the check names.
 *
 * <p>{@code USER_PASSKEY_CHECK} checks what the auth side must rely on, not the cryptography (the
 * user service's own tests verify real assertions with webauthn4j): the credential id must be one
 * {@link #addPasskey} issued, the {@code challenge} inside its {@code clientDataJSON} must equal the
 * request's, and the {@code signature} must be the passkey's (a per-passkey random value standing
 * in for a signature: {@link Passkey#badSignature} gives another). An accepted answer carries the
 * user's current credentials, a disabled user's too (the auth side refuses those).
 */
public final class FakeUserService {

  /** A credentials answer computed when the request arrived, sent when the test says so. */
  public record HeldAnswer(Credentials answer, Promise<Void> release) {
  }

  private final Vertx vertx;
  private final ApiKeys keys;
  private final Map<String, Credentials> users = new ConcurrentHashMap<>();
  private final AtomicInteger credentialRequests = new AtomicInteger();
  private final AtomicReference<Promise<HeldAnswer>> holdNext = new AtomicReference<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private final Map<String, SecondFactor> factors = new ConcurrentHashMap<>();
  private final AtomicInteger mfaChecks = new AtomicInteger();
  private final Map<String, Passkey> passkeys = new ConcurrentHashMap<>();
  private final AtomicInteger passkeyChecks = new AtomicInteger();
  private final AtomicInteger rehashes = new AtomicInteger();
  private volatile boolean refuseRehashes;
  private static final TimeBasedOneTimePasswordGenerator TOTP = new TimeBasedOneTimePasswordGenerator();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A user's TOTP secret, last accepted step and unused recovery codes (guarded by itself). */
  public static final class SecondFactor {
    private final SecretKeySpec key;
    private final List<String> recoveryCodes;
    private final Set<String> unused;
    private long lastUsedStep = Long.MIN_VALUE;

    SecondFactor(byte[] secret, List<String> recoveryCodes) {
      this.key = new SecretKeySpec(secret, "HmacSHA1");
      this.recoveryCodes = List.copyOf(recoveryCodes);
      this.unused = new HashSet<>(recoveryCodes);
    }

    /** The code of the 30-second step {@code offset} steps from now. */
    public String code(int offset) {
      return codeOfStep(Instant.now().getEpochSecond() / 30 + offset);
    }

    /** The code of the current step. */
    public String code() {
      return code(0);
    }

    /** Recovery code {@code i} (0..9) as issued. */
    public String recoveryCode(int i) {
      return recoveryCodes.get(i);
    }

    String codeOfStep(long step) {
      try {
        return TOTP.generateOneTimePasswordString(key, Instant.ofEpochSecond(step * 30));
      } catch (InvalidKeyException e) {
        throw new IllegalStateException(e);
      }
    }

    synchronized boolean acceptTotp(String code) {
      long now = Instant.now().getEpochSecond() / 30;
      for (long step = now - 1; step <= now + 1; step++) {
        if (step > lastUsedStep && codeOfStep(step).equals(code)) {
          lastUsedStep = step;
          return true;
        }
      }
      return false;
    }

    synchronized boolean acceptRecoveryCode(String code) {
      return unused.remove(code);
    }
  }

  public FakeUserService(Vertx vertx, ApiKeys keys) {
    this.vertx = vertx;
    this.keys = keys;
  }

  /** A bcrypt hash (cost 4) of {@code password}, as the user service stores it. */
  public static String hash(String password) {
    return new String(at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(4, password.getBytes(StandardCharsets.UTF_8)),
      StandardCharsets.UTF_8);
  }

  /** Adds a user named exactly {@code username} (roles "user" unless given), password version 1. */
  public Credentials add(String username, String password, String... roles) {
    Credentials user = new Credentials(UUID.randomUUID().toString(), username, username.toLowerCase() + "@example.com",
      List.of(roles.length == 0 ? new String[] {"user"} : roles), hash(password), 1, now(), false, false);
    users.put(user.userId(), user);
    return user;
  }

  /** Adds a user (roles "user") with a username of its own built from {@code prefix}. */
  public Credentials addUnique(String prefix, String password) {
    return add(prefix + "-" + UUID.randomUUID().toString().substring(0, 8), password);
  }

  /** Stores {@code user} as given (replacing the user of that id). */
  public void put(Credentials user) {
    users.put(user.userId(), user);
  }

  /** The user service changes the password: version + 1, a new hash, a new updatedAt. */
  public Credentials changePassword(String userId, String newPassword) {
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), u.roles(), hash(newPassword),
      u.passwordVersion() + 1, later(u.updatedAt()), u.emailVerified(), u.disabled()).withMfa(u.mfa()));
  }

  public Credentials changeEmail(String userId, String email) {
    // as the user service does: a new address is not verified
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), email, u.roles(), u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), false, u.disabled()).withMfa(u.mfa()));
  }

  public Credentials changeRoles(String userId, List<String> roles) {
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), roles, u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), u.emailVerified(), u.disabled()).withMfa(u.mfa()));
  }

  /** An admin disables the user: a new updatedAt (the USER_DISABLED notice's occurredAt). */
  public Credentials disable(String userId) {
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), u.roles(), u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), u.emailVerified(), true).withMfa(u.mfa()));
  }

  /** An admin enables the user again: a new updatedAt (the USER_ENABLED notice's occurredAt). */
  public Credentials enable(String userId) {
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), u.roles(), u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), u.emailVerified(), false).withMfa(u.mfa()));
  }

  /** The user confirms their address (no notice reaches the auth service for this). */
  public Credentials verifyEmail(String userId) {
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), u.roles(), u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), true, u.disabled()).withMfa(u.mfa()));
  }

  /** A password reset confirmed: like a change (version + 1, a new hash, a new updatedAt). */
  public Credentials resetPassword(String userId, String newPassword) {
    return changePassword(userId, newPassword);
  }

  /**
   * The user enables TOTP (enrolled and confirmed): a fresh secret and ten recovery codes, {@code mfa}
   * ["totp"] and a new updatedAt (the MFA_ENABLED notice's occurredAt).
   */
  public SecondFactor enableTotp(String userId) {
    byte[] secret = new byte[20];
    RANDOM.nextBytes(secret);
    List<String> codes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      codes.add(UUID.randomUUID().toString().substring(0, 13));
    }
    SecondFactor factor = new SecondFactor(secret, codes);
    factors.put(userId, factor);
    users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), u.roles(), u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), u.emailVerified(), u.disabled(), List.of(Credentials.TOTP)));
    return factor;
  }

  /** The user (or an admin) removes TOTP: a new updatedAt (the MFA_REMOVED notice's occurredAt). */
  public Credentials removeTotp(String userId) {
    factors.remove(userId);
    return users.compute(userId, (id, u) -> new Credentials(id, u.username(), u.email(), u.roles(), u.passwordHash(),
      u.passwordVersion(), later(u.updatedAt()), u.emailVerified(), u.disabled(), List.of()));
  }

  /** The user's TOTP factor (null: none), to compute codes as their authenticator app would. */
  public SecondFactor factor(String userId) {
    return factors.get(userId);
  }

  /** How many USER_MFA_CHECK requests arrived (key-checked ones), since the start. */
  public int mfaChecks() {
    return mfaChecks.get();
  }

  /** A passkey of a user: its credential id, its id in the user service and the value that stands for a valid signature. */
  public record Passkey(String credentialId, String passkeyId, String userId, String signature) {

    /** The assertion over {@code challenge} as {@code PublicKeyCredential.toJSON()} gives it, signed by this passkey. */
    public JsonObject assertion(String challenge) {
      return assertion(challenge, signature);
    }

    /** The same assertion with a signature that is not this passkey's. */
    public JsonObject badSignature(String challenge) {
      return assertion(challenge, B64.encodeToString("not the signature".getBytes(StandardCharsets.UTF_8)));
    }

    JsonObject assertion(String challenge, String signatureValue) {
      JsonObject clientData = new JsonObject().put("type", "webauthn.get").put("challenge", challenge)
        .put("origin", "http://localhost:8082").put("crossOrigin", false);
      byte[] authenticatorData = new byte[37];
      authenticatorData[32] = 0x05; // user present, user verified
      return new JsonObject().put("id", credentialId).put("rawId", credentialId).put("type", "public-key")
        .put("authenticatorAttachment", "platform")
        .put("response", new JsonObject()
          .put("clientDataJSON", B64.encodeToString(clientData.encode().getBytes(StandardCharsets.UTF_8)))
          .put("authenticatorData", B64.encodeToString(authenticatorData))
          .put("signature", signatureValue)
          .put("userHandle", B64.encodeToString(userId.getBytes(StandardCharsets.UTF_8))))
        .put("clientExtensionResults", new JsonObject());
    }
  }

  private static final java.util.Base64.Encoder B64 = java.util.Base64.getUrlEncoder().withoutPadding();

  /** Registers a passkey for the user (as the user service would after a registration ceremony). */
  public Passkey addPasskey(String userId) {
    byte[] id = new byte[16];
    byte[] signature = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(signature);
    Passkey passkey = new Passkey(B64.encodeToString(id), UUID.randomUUID().toString(), userId, B64.encodeToString(signature));
    passkeys.put(passkey.credentialId(), passkey);
    return passkey;
  }

  /** How many USER_PASSKEY_CHECK requests arrived (key-checked ones), since the start. */
  public int passkeyChecks() {
    return passkeyChecks.get();
  }

  /** The user is deleted at the user service. */
  public void remove(String userId) {
    users.remove(userId);
  }

  public Credentials get(String userId) {
    return users.get(userId);
  }

  /** How many USER_CREDENTIALS requests arrived (key-checked ones), since the start. */
  public int credentialRequests() {
    return credentialRequests.get();
  }

  /** The next credentials request is answered (with the state at arrival) only once the test completes the release promise. */
  public Future<HeldAnswer> holdNextAnswer() {
    Promise<HeldAnswer> arrived = Promise.promise();
    holdNext.set(arrived);
    return arrived.future();
  }

  /** Registers the bus handlers: the user service is up. */
  public Future<Void> start() {
    MessageConsumer<JsonObject> credentials = vertx.eventBus().consumer(BusAddresses.USER_CREDENTIALS,
      BusReplies.guarded(keys, (body, requestId) -> {
        credentialRequests.incrementAndGet();
        Credentials found = find(body);
        Future<JsonObject> answer = found == null ? Future.failedFuture(notFound()) : Future.succeededFuture(found.toJson());
        Promise<HeldAnswer> hold = holdNext.getAndSet(null);
        if (hold == null) {
          return answer;
        }
        Promise<Void> release = Promise.promise();
        hold.complete(new HeldAnswer(found, release));
        return release.future().compose(v -> answer);
      }));
    MessageConsumer<JsonObject> get = vertx.eventBus().consumer(BusAddresses.USER_GET,
      BusReplies.guarded(keys, (body, requestId) -> {
        Credentials found = users.get(body.getString("userId", ""));
        return found == null ? Future.failedFuture(notFound()) : Future.succeededFuture(publicJson(found));
      }));
    MessageConsumer<JsonObject> mfaCheck = vertx.eventBus().consumer(BusAddresses.USER_MFA_CHECK,
      BusReplies.guarded(keys, (body, requestId) -> {
        mfaChecks.incrementAndGet();
        return Future.succeededFuture(check(MfaCheck.fromJson(body)).toJson());
      }));
    MessageConsumer<JsonObject> passkeyCheck = vertx.eventBus().consumer(BusAddresses.USER_PASSKEY_CHECK,
      BusReplies.guarded(keys, (body, requestId) -> {
        passkeyChecks.incrementAndGet();
        return Future.succeededFuture(check(PasskeyCheck.fromJson(body)).toJson());
      }));
    MessageConsumer<JsonObject> rehash = vertx.eventBus().consumer(BusAddresses.USER_PASSWORD_REHASH,
      BusReplies.guarded(keys, (body, requestId) -> {
        rehashes.incrementAndGet();
        if (refuseRehashes) {
          return Future.failedFuture(ApiException.unavailable(ErrorCodes.DATABASE_UNAVAILABLE, "refused by the test"));
        }
        return Future.succeededFuture(rehash(PasswordRehash.fromJson(body)).toJson());
      }));
    consumers.add(credentials);
    consumers.add(get);
    consumers.add(mfaCheck);
    consumers.add(passkeyCheck);
    consumers.add(rehash);
    return Future.all(List.of(credentials.completion(), get.completion(), mfaCheck.completion(), passkeyCheck.completion(),
      rehash.completion())).mapEmpty();
  }

  /** As the user service does: the new hash replaces the old one only while hash and password version are unchanged. */
  private PasswordRehash.Answer rehash(PasswordRehash request) {
    Credentials[] installed = new Credentials[1];
    users.computeIfPresent(request.userId(), (id, u) -> {
      if (u.passwordVersion() != request.passwordVersion() || !u.passwordHash().equals(request.oldHash())) {
        return u;
      }
      installed[0] = new Credentials(id, u.username(), u.email(), u.roles(), request.newHash(), u.passwordVersion(),
        later(u.updatedAt()), u.emailVerified(), u.disabled()).withMfa(u.mfa());
      return installed[0];
    });
    return installed[0] == null ? PasswordRehash.Answer.stale() : PasswordRehash.Answer.installed(installed[0]);
  }

  /** While true, USER_PASSWORD_REHASH answers 503, as a user service whose database is away would. */
  public void refuseRehashes(boolean refuse) {
    refuseRehashes = refuse;
  }

  /** How many USER_PASSWORD_REHASH requests arrived (key-checked ones), since the start. */
  public int rehashes() {
    return rehashes.get();
  }

  /** The user service goes down: no handler, so the auth side sees 503 user_service_unavailable. */
  public Future<Void> stop() {
    List<Future<Void>> all = consumers.stream().map(MessageConsumer::unregister).toList();
    consumers.clear();
    return Future.all(all).mapEmpty();
  }

  /** The user as USER_GET (and so GET /auth/me) shows it: no hash. */
  public static JsonObject publicJson(Credentials user) {
    return new JsonObject().put("id", user.userId()).put("username", user.username()).put("email", user.email())
      .put("displayName", null).put("roles", new JsonArray(user.roles()))
      .put("createdAt", "2026-01-01T00:00:00Z").put("updatedAt", user.updatedAt().toString());
  }

  private MfaCheck.Answer check(MfaCheck check) {
    Credentials user = users.get(check.userId());
    SecondFactor factor = factors.get(check.userId());
    if (user == null || user.disabled() || !user.secondFactorRequired() || factor == null
      || user.passwordVersion() != check.passwordVersion()) {
      return MfaCheck.Answer.stale();
    }
    boolean accepted = check.method() == MfaCheck.Method.TOTP ? factor.acceptTotp(check.code()) : factor.acceptRecoveryCode(check.code());
    return accepted ? MfaCheck.Answer.accepted(user) : MfaCheck.Answer.rejected();
  }

  private PasskeyCheck.Answer check(PasskeyCheck check) {
    Passkey passkey = passkeys.get(String.valueOf(check.credential().getValue("id")));
    Credentials user = passkey == null ? null : users.get(passkey.userId());
    if (user == null) {
      return PasskeyCheck.Answer.rejected(null, "unknown_credential");
    }
    JsonObject response = check.credential().getJsonObject("response", new JsonObject());
    String clientData = new String(java.util.Base64.getUrlDecoder().decode(response.getString("clientDataJSON", "")),
      StandardCharsets.UTF_8);
    if (clientData.isEmpty() || !check.challenge().equals(new JsonObject(clientData).getString("challenge"))) {
      return PasskeyCheck.Answer.rejected(user.userId(), "challenge_mismatch");
    }
    if (!passkey.signature().equals(response.getString("signature"))) {
      return PasskeyCheck.Answer.rejected(user.userId(), "bad_signature");
    }
    return PasskeyCheck.Answer.accepted(user, passkey.passkeyId());
  }

  private Credentials find(JsonObject body) {
    String userId = body.getString("userId");
    if (userId != null) {
      return users.get(userId);
    }
    String login = body.getString("login", "");
    return users.values().stream()
      .filter(u -> u.username().equalsIgnoreCase(login) || u.email().equalsIgnoreCase(login))
      .findFirst().orElse(null);
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  private static Instant later(Instant previous) {
    Instant now = now();
    return now.isAfter(previous) ? now : previous.plus(1, ChronoUnit.MICROS);
  }

  private static ApiException notFound() {
    return ApiException.notFound(ErrorCodes.USER_NOT_FOUND, "No such user.");
  }
}
