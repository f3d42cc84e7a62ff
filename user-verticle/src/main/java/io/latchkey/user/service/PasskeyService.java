package io.latchkey.user.service;

import com.webauthn4j.WebAuthnManager;
import com.webauthn4j.converter.AttestedCredentialDataConverter;
import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.credential.CredentialRecordImpl;
import com.webauthn4j.data.AuthenticationData;
import com.webauthn4j.data.AuthenticationParameters;
import com.webauthn4j.data.AuthenticatorTransport;
import com.webauthn4j.data.PublicKeyCredentialParameters;
import com.webauthn4j.data.PublicKeyCredentialType;
import com.webauthn4j.data.RegistrationData;
import com.webauthn4j.data.RegistrationParameters;
import com.webauthn4j.data.attestation.authenticator.AttestedCredentialData;
import com.webauthn4j.data.attestation.authenticator.AuthenticatorData;
import com.webauthn4j.data.attestation.statement.COSEAlgorithmIdentifier;
import com.webauthn4j.data.attestation.statement.NoneAttestationStatement;
import com.webauthn4j.data.client.Origin;
import com.webauthn4j.data.client.challenge.Challenge;
import com.webauthn4j.data.client.challenge.DefaultChallenge;
import com.webauthn4j.server.ServerProperty;
import com.webauthn4j.verifier.exception.BadChallengeException;
import com.webauthn4j.verifier.exception.BadOriginException;
import com.webauthn4j.verifier.exception.BadRpIdException;
import com.webauthn4j.verifier.exception.BadSignatureException;
import com.webauthn4j.verifier.exception.MaliciousCounterValueException;
import com.webauthn4j.verifier.exception.UserNotPresentException;
import com.webauthn4j.verifier.exception.UserNotVerifiedException;
import io.latchkey.common.ApiException;
import io.latchkey.common.DbErrors;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.TextRules;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.audit.AuditType;
import io.latchkey.common.bus.PasskeyCheck;
import io.latchkey.user.model.User;
import io.latchkey.user.repo.PasskeyRepository;
import io.latchkey.user.repo.PasskeyRepository.NewPasskey;
import io.latchkey.user.repo.PasskeyRepository.Passkey;
import io.latchkey.user.repo.UserRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * Passkeys (WebAuthn): registration over HTTP (creation options, then the browser's credential,
 * verified by webauthn4j), listing, renaming and removal, and the assertion check the auth
 * service asks for at a passkey login. Every WebAuthn check (challenge, origin, RP ID hash, user
 * presence and verification, signature, signature counter) is webauthn4j's, never ours; its
 * verification runs on a worker thread (a signature check is ~1 ms of CPU). Assertions and
 * credentials never reach a log line.
 */
public final class PasskeyService {

  private static final Logger LOG = LoggerFactory.getLogger(PasskeyService.class);
  /** How long registration options (their challenge) are good for. */
  public static final Duration CHALLENGE_TTL = Duration.ofMinutes(5);
  public static final int MAX_NAME = 64;
  /** The algorithms offered, in the order of preference: ES256, RS256, EdDSA. */
  static final List<COSEAlgorithmIdentifier> ALGORITHMS = List.of(COSEAlgorithmIdentifier.ES256, COSEAlgorithmIdentifier.RS256,
    COSEAlgorithmIdentifier.EdDSA);
  static final String UNKNOWN_CREDENTIAL = "unknown_credential";
  static final String BAD_SIGNATURE = "bad_signature";
  static final String CHALLENGE_MISMATCH = "challenge_mismatch";
  static final String ORIGIN_MISMATCH = "origin_mismatch";
  static final String RP_ID_MISMATCH = "rp_id_mismatch";
  static final String USER_NOT_VERIFIED = "user_not_verified";
  static final String COUNTER_REGRESSED = "counter_regressed";
  static final String MALFORMED = "malformed";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

  private final Vertx vertx;
  private final Pool pool;
  private final UserRepository users;
  private final PasskeyRepository passkeys;
  private final WebAuthnSettings settings;
  private final AuditTrail audit;
  private final Set<Origin> origins;
  private final WebAuthnManager webauthn;
  private final AttestedCredentialDataConverter credentialData;
  private final List<PublicKeyCredentialParameters> parameters;

  public PasskeyService(Vertx vertx, Pool pool, UserRepository users, PasskeyRepository passkeys, WebAuthnSettings settings,
                        AuditTrail audit) {
    this.vertx = vertx;
    this.pool = pool;
    this.users = users;
    this.passkeys = passkeys;
    this.settings = settings;
    this.audit = audit;
    Set<Origin> allowed = new HashSet<>();
    settings.origins().forEach(o -> allowed.add(new Origin(o)));
    this.origins = Set.copyOf(allowed);
    ObjectConverter converter = new ObjectConverter();
    this.webauthn = WebAuthnManager.createNonStrictWebAuthnManager(converter);
    this.credentialData = new AttestedCredentialDataConverter(converter);
    this.parameters = ALGORITHMS.stream().map(a -> new PublicKeyCredentialParameters(PublicKeyCredentialType.PUBLIC_KEY, a)).toList();
  }

  // ---- HTTP: registration

  /**
   * Creation options for a new passkey of the user, in the WebAuthn JSON form (base64url): a new
   * challenge (stored, single-use, {@link #CHALLENGE_TTL}), the user's handle (made on the first
   * call), and the user's existing passkeys to exclude.
   */
  public Future<JsonObject> registrationOptions(UUID id, String requestId) {
    byte[] challenge = random32();
    return user(id).compose(user -> passkeys.userHandle(pool, id, random32())
      .compose(handle -> handle.isPresent() ? Future.succeededFuture(handle.get()) : Future.failedFuture(UserService.userNotFound()))
      .compose(handle -> passkeys.addChallenge(pool, sha256(challenge), id, CHALLENGE_TTL)
        .compose(v -> passkeys.ofUser(pool, id))
        .map(existing -> {
          LOG.info("[{}] passkey registration options for user {}", requestId, id);
          return creationOptions(user, handle, challenge, existing);
        })));
  }

  private JsonObject creationOptions(User user, byte[] handle, byte[] challenge, List<Passkey> existing) {
    JsonArray params = new JsonArray();
    ALGORITHMS.forEach(a -> params.add(new JsonObject().put("type", "public-key").put("alg", a.getValue())));
    JsonArray exclude = new JsonArray();
    existing.forEach(p -> exclude.add(new JsonObject().put("type", "public-key").put("id", B64URL.encodeToString(p.credentialId()))
      .put("transports", new JsonArray(p.transports()))));
    String displayName = user.displayName() == null || user.displayName().isBlank() ? user.username() : user.displayName();
    return new JsonObject()
      .put("rp", new JsonObject().put("id", settings.rpId()).put("name", settings.rpName()))
      .put("user", new JsonObject().put("id", B64URL.encodeToString(handle)).put("name", user.username()).put("displayName", displayName))
      .put("challenge", B64URL.encodeToString(challenge))
      .put("pubKeyCredParams", params)
      .put("timeout", CHALLENGE_TTL.toMillis())
      .put("attestation", "none")
      .put("authenticatorSelection", new JsonObject().put("residentKey", "required").put("requireResidentKey", true)
        .put("userVerification", "required"))
      .put("excludeCredentials", exclude);
  }

  /**
   * Registers the credential the browser created from this user's options: its challenge must be
   * one of the user's live registration challenges (used up here, whatever follows), origin, RP
   * ID, user presence and verification must hold. 400 invalid_passkey for anything wrong,
   * including a credential id already registered.
   */
  public Future<Passkey> register(UUID id, String rawName, Object credential, AuditContext by) {
    String name = checkName(rawName);
    if (!(credential instanceof JsonObject json)) {
      return Future.failedFuture(invalidPasskey("The field 'credential' must be the object PublicKeyCredential.toJSON() gives."));
    }
    String requestId = by.requestId();
    return user(id)
      .compose(user -> blocking(() -> webauthn.parseRegistrationResponseJSON(json.encode())))
      .recover(err -> err instanceof ApiException ? Future.failedFuture(err)
        : Future.failedFuture(invalidPasskey("The credential is not a WebAuthn registration response.")))
      .compose(data -> {
        byte[] challenge = challengeOf(data.getCollectedClientData() == null ? null : data.getCollectedClientData().getChallenge());
        if (challenge == null) {
          return Future.failedFuture(invalidPasskey("The credential's client data has no challenge."));
        }
        return passkeys.consumeChallenge(pool, sha256(challenge), id).compose(consumed -> consumed
          ? blocking(() -> verified(data, challenge))
          : Future.failedFuture(invalidPasskey("The challenge is not one of this user's live registration options:"
            + " ask POST /users/{id}/passkeys/registration-options again.")));
      })
      .compose(data -> store(id, name, data, by))
      .onSuccess(p -> LOG.info("[{}] passkey {} registered for user {}", requestId, p.id(), id))
      .onFailure(err -> {
        if (err instanceof ApiException e && ErrorCodes.INVALID_PASSKEY.equals(e.code())) {
          LOG.info("[{}] passkey registration of user {} refused: {}", requestId, id, e.detail());
        }
      });
  }

  private RegistrationData verified(RegistrationData data, byte[] challenge) {
    ServerProperty server = ServerProperty.builder().origins(origins).rpId(settings.rpId()).challenge(new DefaultChallenge(challenge))
      .build();
    try {
      webauthn.verify(data, new RegistrationParameters(server, parameters, true, true));
    } catch (RuntimeException e) {
      throw invalidPasskey(registrationRefusal(e));
    }
    AuthenticatorData<?> authenticator = data.getAttestationObject() == null ? null : data.getAttestationObject().getAuthenticatorData();
    if (authenticator == null || authenticator.getAttestedCredentialData() == null) {
      throw invalidPasskey("The credential carries no attested credential data.");
    }
    return data;
  }

  private static String registrationRefusal(RuntimeException e) {
    if (e instanceof BadChallengeException) {
      return "The challenge does not match.";
    }
    if (e instanceof BadOriginException) {
      return "The origin is not one of this service's WebAuthn origins.";
    }
    if (e instanceof BadRpIdException) {
      return "The credential is bound to another relying party.";
    }
    if (e instanceof UserNotVerifiedException || e instanceof UserNotPresentException) {
      return "The authenticator did not verify the user (user verification is required).";
    }
    return "The credential does not verify.";
  }

  private Future<Passkey> store(UUID id, String name, RegistrationData data, AuditContext by) {
    AuthenticatorData<?> authenticator = data.getAttestationObject().getAuthenticatorData();
    AttestedCredentialData attested = authenticator.getAttestedCredentialData();
    List<String> transports = data.getTransports() == null ? List.of()
      : data.getTransports().stream().map(AuthenticatorTransport::getValue).sorted().toList();
    NewPasskey passkey = new NewPasskey(UUID.randomUUID(), id, attested.getCredentialId(), credentialData.convert(attested),
      authenticator.getSignCount(), transports, name, authenticator.isFlagUV(), authenticator.isFlagBE(), authenticator.isFlagBS());
    AuditEvent event = by.event(AuditType.PASSKEY_ADDED, id.toString(), by.sessionId(), null);
    return pool.withTransaction(conn -> passkeys.insert(conn, passkey).compose(stored -> audit.insert(conn, event).map(stored)))
      .recover(err -> DbErrors.uniqueViolation(err).isPresent()
        ? Future.failedFuture(invalidPasskey("This passkey is already registered."))
        : Future.failedFuture(err))
      .onSuccess(stored -> audit.published(event));
  }

  // ---- HTTP: the user's passkeys

  public Future<List<Passkey>> list(UUID id) {
    return user(id).compose(user -> passkeys.ofUser(pool, id));
  }

  public Future<Passkey> rename(UUID id, UUID passkeyId, String rawName, String requestId) {
    String name = checkName(rawName);
    return user(id)
      .compose(user -> passkeyId == null ? Future.succeededFuture(Optional.<Passkey>empty()) : passkeys.rename(pool, id, passkeyId, name))
      .compose(renamed -> renamed.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(notFound())))
      .onSuccess(p -> LOG.info("[{}] passkey {} of user {} renamed", requestId, p.id(), id));
  }

  /** Removes the user's passkey (404 passkey_not_found when the user has none of that id). Revokes no session. */
  public Future<Void> remove(UUID id, UUID passkeyId, AuditContext by) {
    AuditEvent event = by.event(AuditType.PASSKEY_REMOVED, id == null ? null : id.toString(), by.sessionId(), null);
    return user(id)
      .compose(user -> passkeyId == null ? Future.succeededFuture(false)
        : pool.withTransaction(conn -> passkeys.delete(conn, id, passkeyId)
          .compose(deleted -> deleted ? audit.insert(conn, event).map(true) : Future.succeededFuture(false))))
      .compose(deleted -> deleted ? Future.<Void>succeededFuture() : Future.failedFuture(notFound()))
      .onSuccess(v -> {
        audit.published(event);
        LOG.info("[{}] passkey {} of user {} removed", by.requestId(), passkeyId, id);
      });
  }

  // ---- bus: the passkey login

  /**
   * Checks an assertion for the auth service's passkey login: REJECTED (with the owner's id when
   * the credential is known) for anything that does not verify; ACCEPTED with the user's current
   * credentials (even disabled: the auth service refuses those) once one conditional statement
   * recorded the new counter, so racing copies of one assertion give one ACCEPTED.
   */
  public Future<PasskeyCheck.Answer> check(PasskeyCheck request, String requestId) {
    byte[] challenge = decode(request.challenge());
    AuthenticationData data;
    try {
      data = webauthn.parseAuthenticationResponseJSON(request.credential().encode());
    } catch (RuntimeException e) {
      data = null;
    }
    if (challenge == null || data == null || data.getCredentialId() == null) {
      return Future.succeededFuture(logged(PasskeyCheck.Answer.rejected(null, MALFORMED), requestId));
    }
    AuthenticationData assertion = data;
    return passkeys.byCredentialId(pool, assertion.getCredentialId()).compose(found -> {
      if (found.isEmpty()) {
        return Future.succeededFuture(PasskeyCheck.Answer.rejected(null, UNKNOWN_CREDENTIAL));
      }
      Passkey passkey = found.get();
      return handleMatches(passkey, assertion.getUserHandle()).compose(matches -> matches
        ? blocking(() -> verifyAssertion(passkey, assertion, challenge)).compose(reason -> reason == null
          ? accept(passkey, assertion, requestId)
          : rejected(passkey, reason, requestId))
        : Future.succeededFuture(PasskeyCheck.Answer.rejected(passkey.userId().toString(), UNKNOWN_CREDENTIAL)));
    }).map(answer -> logged(answer, requestId));
  }

  /** An assertion without a user handle is fine (the credential id found the passkey); one with a handle must name its owner. */
  private Future<Boolean> handleMatches(Passkey passkey, byte[] presented) {
    if (presented == null) {
      return Future.succeededFuture(true);
    }
    return passkeys.findUserHandle(pool, passkey.userId())
      .map(handle -> handle.isPresent() && MessageDigest.isEqual(handle.get(), presented));
  }

  /** Null when the assertion verifies against the stored passkey, else the reason it does not. */
  private String verifyAssertion(Passkey passkey, AuthenticationData assertion, byte[] challenge) {
    AttestedCredentialData attested = credentialData.convert(passkey.credentialData());
    Set<AuthenticatorTransport> transports = new HashSet<>();
    passkey.transports().forEach(t -> transports.add(AuthenticatorTransport.create(t)));
    CredentialRecordImpl record = new CredentialRecordImpl(new NoneAttestationStatement(), passkey.uvInitialized(),
      passkey.backupEligible(), passkey.backupState(), passkey.signCount(), attested, null, null, null, transports);
    ServerProperty server = ServerProperty.builder().origins(origins).rpId(settings.rpId()).challenge(new DefaultChallenge(challenge))
      .build();
    try {
      webauthn.verify(assertion, new AuthenticationParameters(server, record, null, true, true));
      return null;
    } catch (BadSignatureException e) {
      return BAD_SIGNATURE;
    } catch (BadChallengeException e) {
      return CHALLENGE_MISMATCH;
    } catch (BadOriginException e) {
      return ORIGIN_MISMATCH;
    } catch (BadRpIdException e) {
      return RP_ID_MISMATCH;
    } catch (UserNotVerifiedException | UserNotPresentException e) {
      return USER_NOT_VERIFIED;
    } catch (MaliciousCounterValueException e) {
      return COUNTER_REGRESSED;
    } catch (RuntimeException e) {
      return MALFORMED;
    }
  }

  private Future<PasskeyCheck.Answer> accept(Passkey passkey, AuthenticationData assertion, String requestId) {
    AuthenticatorData<?> authenticator = assertion.getAuthenticatorData();
    return passkeys.recordUse(pool, passkey.id(), passkey.signCount(), authenticator.getSignCount(),
        authenticator.isFlagBS())
      .compose(recorded -> recorded
        ? users.findById(pool, passkey.userId()).map(user -> user
          .map(u -> PasskeyCheck.Answer.accepted(u.credentials(), passkey.id().toString()))
          .orElseGet(() -> PasskeyCheck.Answer.rejected(null, UNKNOWN_CREDENTIAL)))
        // another check of this passkey recorded its use first: this copy is a replay (or lost the race)
        : rejected(passkey, COUNTER_REGRESSED, requestId));
  }

  private Future<PasskeyCheck.Answer> rejected(Passkey passkey, String reason, String requestId) {
    PasskeyCheck.Answer answer = PasskeyCheck.Answer.rejected(passkey.userId().toString(), reason);
    if (!COUNTER_REGRESSED.equals(reason)) {
      return Future.succeededFuture(answer);
    }
    // a counter going backwards may be a cloned authenticator: on the user's trail, whoever asked
    AuditEvent event = new AuditEvent(UUID.randomUUID(), Instant.now().truncatedTo(ChronoUnit.MICROS), AuditType.PASSKEY_LOGIN,
      passkey.userId().toString(), null, null, null, null, requestId, AuditType.Outcome.FAILURE, COUNTER_REGRESSED);
    LOG.warn("[{}] passkey {} of user {}: the signature counter did not go up (a replay, or a cloned authenticator)", requestId,
      passkey.id(), passkey.userId());
    return audit.record(event).map(answer);
  }

  private static PasskeyCheck.Answer logged(PasskeyCheck.Answer answer, String requestId) {
    // the user, the passkey and the result; never the assertion
    LOG.info("[{}] passkey check: {}{}{}", requestId, answer.result().wire(),
      answer.userId() == null ? "" : " user " + answer.userId(), answer.reason() == null ? "" : " (" + answer.reason() + ")");
    return answer;
  }

  // ---- helpers

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }

  private Future<User> user(UUID id) {
    return id == null ? Future.failedFuture(UserService.userNotFound()) : users.findById(pool, id).compose(UserService::orNotFound);
  }

  /** A passkey's name: trimmed, 1 to {@value #MAX_NAME} characters, clean text; else 400 validation_failed. */
  static String checkName(String raw) {
    String name = raw == null ? null : raw.trim();
    if (name == null || name.isEmpty() || name.length() > MAX_NAME) {
      throw ApiException.validation("name", "The name is required: 1 to " + MAX_NAME + " characters.");
    }
    return TextRules.check("name", name);
  }

  private static byte[] challengeOf(Challenge challenge) {
    return challenge == null ? null : challenge.getValue();
  }

  private static byte[] decode(String base64url) {
    if (base64url == null || base64url.isEmpty() || base64url.length() > 256) {
      return null;
    }
    try {
      return B64URL_DECODER.decode(base64url);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] random32() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  static byte[] sha256(byte[] value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static ApiException invalidPasskey(String detail) {
    return new ApiException(400, ErrorCodes.INVALID_PASSKEY, detail);
  }

  static ApiException notFound() {
    return ApiException.notFound(ErrorCodes.PASSKEY_NOT_FOUND, "The user has no passkey of this id.");
  }
}
