package io.latchkey.user.http;

import io.latchkey.common.ApiException.FieldError;
import io.latchkey.common.ApiException;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.HttpServers;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TextRules;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.Uuids;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.common.audit.AuditRoutes;
import io.latchkey.user.auth.Authorizer;
import io.latchkey.user.auth.Caller;
import io.latchkey.user.model.User;
import io.latchkey.user.service.AccountService;
import io.latchkey.user.service.MfaService;
import io.latchkey.user.service.PasskeyService;
import io.latchkey.user.repo.PasskeyRepository.Passkey;
import io.latchkey.user.service.RegistrationLimit;
import io.latchkey.user.service.SearchCursor;
import io.latchkey.user.service.UserFields;
import io.latchkey.user.service.UserImport;
import io.latchkey.user.service.UserService.ProfileChange;
import io.latchkey.user.service.UserService.Registration;
import io.latchkey.user.service.UserService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The HTTP side of the user service (every route documented in openapi/user-service.json): parse, authorize, call the
 * service, write. Failures are ApiExceptions and reach the one problem handler of the router.
 * Every route here has an operation in {@code openapi/user-service.json} and the other way round.
 */
public final class UserApi {

  private static final Set<String> REGISTRATION_FIELDS = Set.of("username", "email", "password", "displayName");
  private static final Set<String> LOGIN_FIELDS = Set.of("login", "password");
  private static final Set<String> PROFILE_FIELDS = Set.of("email", "displayName", "currentPassword");
  private static final Set<String> TOKEN_FIELDS = Set.of("token");
  private static final Set<String> RESET_FIELDS = Set.of("email");
  private static final Set<String> RESET_CONFIRM_FIELDS = Set.of("token", "newPassword");
  /** The one answer of a reset request, whoever the address belongs to. */
  private static final JsonObject RESET_ACCEPTED = new JsonObject()
    .put("message", "If this address belongs to an account, a mail with a reset link is on its way.");
  private static final Set<String> PASSWORD_FIELDS = Set.of("currentPassword", "newPassword");
  private static final Set<String> ROLES_FIELDS = Set.of("roles");
  private static final Set<String> CURRENT_PASSWORD_FIELDS = Set.of("currentPassword");
  private static final Set<String> CODE_FIELDS = Set.of("code");
  private static final Set<String> PASSKEY_FIELDS = Set.of("name", "credential");
  private static final Set<String> NAME_FIELDS = Set.of("name");
  private static final String SECOND_FACTOR = "their second factor";
  private static final String PASSKEYS = "their passkeys";
  private static final int DEFAULT_LIMIT = 20;
  private static final int MAX_LIMIT = 100;
  private static final int MAX_SEARCH_CHARS = 200;

  private final UserService users;
  private final AccountService accounts;
  private final MfaService mfa;
  private final PasskeyService passkeys;
  private final Authorizer authorizer;
  private final HealthRoutes health;
  private final String openApiDocument;
  private final RegistrationLimit registrations;
  private final TrustedProxies proxies;
  private final AuditRoutes audit;
  private final CorsPolicy cors;
  private final UserImport imports;

  public UserApi(UserService users, AccountService accounts, MfaService mfa, PasskeyService passkeys, Authorizer authorizer, HealthRoutes health, Buffer openApiDocument,
                 RegistrationLimit registrations, TrustedProxies proxies, AuditRoutes audit, CorsPolicy cors, UserImport imports) {
    this.imports = imports;
    this.audit = audit;
    this.cors = cors;
    this.users = users;
    this.accounts = accounts;
    this.mfa = mfa;
    this.passkeys = passkeys;
    this.authorizer = authorizer;
    this.health = health;
    this.openApiDocument = openApiDocument.toString();
    this.registrations = registrations;
    this.proxies = proxies;
  }

  public Router router(Vertx vertx) {
    // the import reads its body as a stream: mounted before the 64 KiB body handler
    Router router = HttpServers.baseRouter(vertx, cors.handler(),
      r -> r.post("/admin/users/import").handler(Replies.handle(this::importUsers)));
    router.post("/users").handler(Replies.handle(this::register));
    router.post("/users/verify-credentials").handler(Replies.handle(this::verifyCredentials));
    router.post("/users/verify-email").handler(Replies.handle(this::verifyEmail));
    router.post("/users/password-reset").handler(Replies.handle(this::requestReset));
    router.post("/users/password-reset/confirm").handler(Replies.handle(this::confirmReset));
    router.get("/users").handler(Replies.handle(this::search));
    router.get("/users/by-username/:username").handler(Replies.handle(this::byUsername));
    router.get("/users/by-email/:email").handler(Replies.handle(this::byEmail));
    router.get("/users/:id").handler(Replies.handle(this::get));
    router.put("/users/:id").handler(Replies.handle(this::update));
    router.delete("/users/:id").handler(Replies.handle(this::delete));
    router.post("/users/:id/change-password").handler(Replies.handle(this::changePassword));
    router.get("/users/:id/password-hash").handler(Replies.handle(this::passwordHash));
    router.post("/users/:id/password-changed").handler(Replies.handle(this::resendPasswordChanged));
    router.put("/users/:id/roles").handler(Replies.handle(this::setRoles));
    router.post("/users/:id/verify-email/send").handler(Replies.handle(this::sendVerification));
    router.post("/users/:id/disable").handler(Replies.handle(this::disable));
    router.post("/users/:id/enable").handler(Replies.handle(this::enable));
    router.post("/users/:id/mfa/totp").handler(Replies.handle(this::enrolTotp));
    router.post("/users/:id/mfa/totp/confirm").handler(Replies.handle(this::confirmTotp));
    router.delete("/users/:id/mfa/totp").handler(Replies.handle(this::removeTotp));
    router.post("/users/:id/mfa/recovery-codes").handler(Replies.handle(this::regenerateRecoveryCodes));
    router.post("/users/:id/passkeys/registration-options").handler(Replies.handle(this::passkeyOptions));
    router.post("/users/:id/passkeys").handler(Replies.handle(this::addPasskey));
    router.get("/users/:id/passkeys").handler(Replies.handle(this::listPasskeys));
    router.patch("/users/:id/passkeys/:passkeyId").handler(Replies.handle(this::renamePasskey));
    router.delete("/users/:id/passkeys/:passkeyId").handler(Replies.handle(this::removePasskey));
    audit.mount(router);
    router.get("/openapi.json").handler(ctx -> Replies.publicJson(ctx, openApiDocument));
    health.mount(router);
    return router;
  }

  // ---- handlers

  private Future<Void> register(RoutingContext ctx) {
    // anonymous bcrypt work: every registration request counts against its client IP first
    return registrations.take(proxies.clientIp(ctx), RequestIds.of(ctx)).compose(v -> registerCounted(ctx));
  }

  private Future<Void> registerCounted(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Registration registration = new Registration(JsonBodies.string(body, "username"), JsonBodies.string(body, "email"),
      JsonBodies.string(body, "password"), JsonBodies.string(body, "displayName"));
    JsonBodies.onlyFields(body, REGISTRATION_FIELDS);
    return users.register(registration, RequestIds.of(ctx)).map(user -> {
      ctx.response().putHeader("Location", "/users/" + user.id());
      return Replies.json(ctx, 201, user.toPublicJson());
    });
  }

  private Future<Void> verifyCredentials(RoutingContext ctx) {
    return authorizer.requireApiKey(ctx).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      String login = JsonBodies.string(body, "login");
      String password = JsonBodies.string(body, "password");
      JsonBodies.onlyFields(body, LOGIN_FIELDS);
      List<FieldError> errors = new ArrayList<>();
      if (login == null || login.isBlank()) {
        errors.add(new FieldError("login", "The login (username or email) is required."));
      }
      if (password == null || password.isEmpty()) {
        errors.add(new FieldError("password", "The password is required."));
      }
      if (!errors.isEmpty()) {
        throw ApiException.validation(errors);
      }
      return users.verifyCredentials(login, password, RequestIds.of(ctx))
        .map(user -> Replies.json(ctx, 200, new JsonObject().put("valid", true).put("user", user.toPublicJson())));
    });
  }

  private Future<Void> search(RoutingContext ctx) {
    return authorizer.requireAdmin(ctx).compose(caller -> {
      String text = query(ctx, "search");
      if (text != null && text.length() > MAX_SEARCH_CHARS) {
        throw ApiException.validation("search", "The search text must have at most " + MAX_SEARCH_CHARS + " characters.");
      }
      int limit = limit(query(ctx, "limit"));
      String cursor = query(ctx, "cursor");
      SearchCursor after = cursor == null || cursor.isEmpty() ? null : SearchCursor.decode(cursor);
      return users.search(text, limit, after, RequestIds.of(ctx)).map(page -> {
        JsonArray items = new JsonArray();
        page.items().forEach(u -> items.add(u.toPublicJson()));
        return Replies.json(ctx, 200, new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
      });
    });
  }

  private Future<Void> byUsername(RoutingContext ctx) {
    return authorizer.requireAdmin(ctx)
      .compose(caller -> users.byUsername(TextRules.check("username", ctx.pathParam("username"))))
      .map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  private Future<Void> byEmail(RoutingContext ctx) {
    return authorizer.requireAdmin(ctx)
      .compose(caller -> users.byEmail(TextRules.check("email", ctx.pathParam("email"))))
      .map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  private Future<Void> get(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id)
      .compose(caller -> users.get(id))
      .map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  private Future<Void> update(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      ProfileChange change = new ProfileChange(body.containsKey("email"), JsonBodies.string(body, "email"),
        body.containsKey("displayName"), JsonBodies.string(body, "displayName"), JsonBodies.string(body, "currentPassword"),
        caller.is(id));
      JsonBodies.onlyFields(body, PROFILE_FIELDS);
      return users.updateProfile(id, change, by(ctx, caller));
    }).map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  private Future<Void> delete(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id)
      .compose(caller -> users.delete(id, by(ctx, caller)))
      .map(v -> Replies.noContent(ctx));
  }

  private Future<Void> changePassword(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      String current = JsonBodies.string(body, "currentPassword");
      String next = JsonBodies.string(body, "newPassword");
      JsonBodies.onlyFields(body, PASSWORD_FIELDS);
      // your own password needs the current one, admins included; the session that changed it stays
      boolean own = caller.is(id);
      return users.changePassword(id, current, next, own, own ? caller.sessionId() : null, by(ctx, caller));
    }).map(v -> Replies.noContent(ctx));
  }

  private Future<Void> passwordHash(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.requireApiKey(ctx)
      .compose(caller -> users.get(id))
      .map(user -> Replies.json(ctx, 200, new JsonObject()
        .put("userId", user.id().toString())
        .put("passwordHash", user.passwordHash())
        .put("passwordVersion", user.passwordVersion())
        .put("updatedAt", User.timestamp(user.passwordChangedAt()))));
  }

  private Future<Void> resendPasswordChanged(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.requireApiKey(ctx)
      .compose(caller -> users.resendPasswordChanged(id, RequestIds.of(ctx)))
      .map(eventId -> Replies.json(ctx, 202, new JsonObject().put("userId", id.toString()).put("eventId", eventId)));
  }

  private Future<Void> setRoles(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.requireApiKey(ctx).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      Object roles = body.getValue("roles");
      if (roles != null && !(roles instanceof JsonArray)) {
        throw ApiException.malformed("The field 'roles' must be an array of strings.");
      }
      JsonBodies.onlyFields(body, ROLES_FIELDS);
      if (roles == null) {
        throw ApiException.validation("roles", "The roles are required.");
      }
      List<String> names = new ArrayList<>();
      for (Object role : (JsonArray) roles) {
        if (!(role instanceof String name)) {
          throw ApiException.malformed("The field 'roles' must be an array of strings.");
        }
        names.add(TextRules.check("roles", name));
      }
      return users.setRoles(id, names, by(ctx, caller));
    }).map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  private Future<Void> importUsers(RoutingContext ctx) {
    // nothing of the body is read before the key is checked, and none is lost meanwhile
    ctx.request().pause();
    return authorizer.requireApiKey(ctx)
      .compose(caller -> ImportStream.run(imports, ctx, by(ctx, caller)))
      .onFailure(err -> {
        // the rest of the body (any size) is not worth reading: drop it and close the connection after the answer
        ctx.response().putHeader("Connection", "close");
        ctx.request().handler(chunk -> { }).endHandler(null).resume();
      });
  }

  // ---- account lifecycle

  private Future<Void> sendVerification(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id).compose(caller -> {
      JsonBodies.onlyFields(JsonBodies.objectOrEmpty(ctx), Set.of());
      return accounts.sendVerification(id, RequestIds.of(ctx));
    }).map(v -> Replies.json(ctx, 202, new JsonObject().put("message", "A verification mail is on its way.")));
  }

  private Future<Void> verifyEmail(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String token = JsonBodies.string(body, "token");
    JsonBodies.onlyFields(body, TOKEN_FIELDS);
    if (token == null) {
      throw ApiException.validation("token", "The token is required.");
    }
    return accounts.verifyEmail(token, by(ctx, null)).map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  private Future<Void> requestReset(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String email = JsonBodies.string(body, "email");
    JsonBodies.onlyFields(body, RESET_FIELDS);
    List<FieldError> errors = new ArrayList<>();
    UserFields.checkEmail(email == null ? null : email.trim(), errors);
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    return accounts.requestReset(email, proxies.clientIp(ctx), RequestIds.of(ctx))
      .map(v -> Replies.json(ctx, 202, RESET_ACCEPTED));
  }

  private Future<Void> confirmReset(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String token = JsonBodies.string(body, "token");
    String newPassword = JsonBodies.string(body, "newPassword");
    JsonBodies.onlyFields(body, RESET_CONFIRM_FIELDS);
    return accounts.confirmReset(token, newPassword, by(ctx, null)).map(v -> Replies.noContent(ctx));
  }

  private Future<Void> disable(RoutingContext ctx) {
    return setDisabled(ctx, true);
  }

  private Future<Void> enable(RoutingContext ctx) {
    return setDisabled(ctx, false);
  }

  private Future<Void> setDisabled(RoutingContext ctx, boolean disabled) {
    UUID id = pathId(ctx);
    return authorizer.requireAdmin(ctx).compose(caller -> {
      JsonBodies.onlyFields(JsonBodies.objectOrEmpty(ctx), Set.of());
      return disabled ? accounts.disable(id, by(ctx, caller)) : accounts.enable(id, by(ctx, caller));
    }).map(user -> Replies.json(ctx, 200, user.toPublicJson()));
  }

  // ---- second factor

  private Future<Void> enrolTotp(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return themselves(ctx, id, SECOND_FACTOR)
      .compose(caller -> mfa.enrol(id, currentPasswordIn(JsonBodies.object(ctx)), RequestIds.of(ctx)))
      .map(enrolment -> Replies.json(ctx, 200, new JsonObject().put("secret", enrolment.secret())
        .put("otpauthUri", enrolment.otpauthUri())));
  }

  private Future<Void> confirmTotp(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return themselves(ctx, id, SECOND_FACTOR).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      String code = JsonBodies.string(body, "code");
      JsonBodies.onlyFields(body, CODE_FIELDS);
      return mfa.confirm(id, code, by(ctx, caller));
    }).map(codes -> recoveryCodes(ctx, codes));
  }

  private Future<Void> removeTotp(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id).compose(caller -> {
      String current = currentPasswordIn(JsonBodies.objectOrEmpty(ctx));
      // your own factor needs your current password, admins included; the session that removed it stays
      boolean own = caller.is(id);
      return mfa.remove(id, current, own, own ? caller.sessionId() : null, by(ctx, caller));
    }).map(v -> Replies.noContent(ctx));
  }

  private Future<Void> regenerateRecoveryCodes(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return themselves(ctx, id, SECOND_FACTOR)
      .compose(caller -> mfa.regenerate(id, currentPasswordIn(JsonBodies.object(ctx)), by(ctx, caller)))
      .map(codes -> recoveryCodes(ctx, codes));
  }

  /** A body of {@code {"currentPassword"}} at most: its value (null when absent). */
  private static String currentPasswordIn(JsonObject body) {
    String current = JsonBodies.string(body, "currentPassword");
    JsonBodies.onlyFields(body, CURRENT_PASSWORD_FIELDS);
    return current;
  }

  /** The recovery codes, shown in this answer only. */
  private static Void recoveryCodes(RoutingContext ctx, List<String> codes) {
    return Replies.json(ctx, 200, new JsonObject().put("recoveryCodes", new JsonArray(codes)));
  }

  // ---- passkeys

  private Future<Void> passkeyOptions(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return themselves(ctx, id, PASSKEYS).compose(caller -> {
      JsonBodies.onlyFields(JsonBodies.objectOrEmpty(ctx), Set.of());
      return passkeys.registrationOptions(id, RequestIds.of(ctx));
    }).map(options -> Replies.json(ctx, 200, options));
  }

  private Future<Void> addPasskey(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return themselves(ctx, id, PASSKEYS).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      String name = JsonBodies.string(body, "name");
      JsonBodies.onlyFields(body, PASSKEY_FIELDS);
      return passkeys.register(id, name, body.getValue("credential"), by(ctx, caller));
    }).map(passkey -> {
      ctx.response().putHeader("Location", "/users/" + id + "/passkeys/" + passkey.id());
      return Replies.json(ctx, 201, passkeyJson(passkey));
    });
  }

  private Future<Void> listPasskeys(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id)
      .compose(caller -> passkeys.list(id))
      .map(list -> {
        JsonArray items = new JsonArray();
        list.forEach(p -> items.add(passkeyJson(p)));
        return Replies.json(ctx, 200, new JsonObject().put("items", items));
      });
  }

  private Future<Void> renamePasskey(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id).compose(caller -> {
      JsonObject body = JsonBodies.object(ctx);
      String name = JsonBodies.string(body, "name");
      JsonBodies.onlyFields(body, NAME_FIELDS);
      return passkeys.rename(id, Uuids.fromPath(ctx, "passkeyId"), name, RequestIds.of(ctx));
    }).map(passkey -> Replies.json(ctx, 200, passkeyJson(passkey)));
  }

  private Future<Void> removePasskey(RoutingContext ctx) {
    UUID id = pathId(ctx);
    return authorizer.authenticateFor(ctx, id)
      .compose(caller -> passkeys.remove(id, Uuids.fromPath(ctx, "passkeyId"), by(ctx, caller)))
      .map(v -> Replies.noContent(ctx));
  }

  /** A passkey as the contract shows it: never its key or credential id. */
  private static JsonObject passkeyJson(Passkey passkey) {
    return new JsonObject().put("id", passkey.id().toString()).put("name", passkey.name())
      .put("createdAt", User.timestamp(passkey.createdAt()))
      .put("lastUsedAt", passkey.lastUsedAt() == null ? null : User.timestamp(passkey.lastUsedAt()));
  }

  /**
   * Only the user themselves (by their access token): an admin acting on another user, or a key
   * holder, gets 403 forbidden, after 404 for an unknown user as elsewhere.
   */
  private Future<Caller> themselves(RoutingContext ctx, UUID id, String what) {
    return authorizer.authenticateFor(ctx, id).compose(caller -> caller.is(id) ? Future.succeededFuture(caller)
      : users.get(id).compose(exists -> Future.failedFuture(
        ApiException.forbidden("Only the user themselves may manage " + what + "."))));
  }

  // ---- helpers

  /** Who made this request, for the audit events it causes ({@code caller} null: an anonymous caller with a mailed token). */
  private AuditContext by(RoutingContext ctx, Caller caller) {
    return new AuditContext(caller == null ? null : caller.actor(), caller == null ? null : caller.sessionId(), proxies.clientIp(ctx),
      ctx.request().getHeader("User-Agent"), RequestIds.of(ctx));
  }

  /** The first value of a query parameter, checked by {@link TextRules} (it may reach SQL). */
  private static String query(RoutingContext ctx, String name) {
    return TextRules.check(name, ctx.queryParam(name).stream().findFirst().orElse(null));
  }

  /** The path id as a UUID, or null (answered like an unknown id: 404). */
  static UUID pathId(RoutingContext ctx) {
    return Uuids.fromPath(ctx, "id");
  }

  private static int limit(String raw) {
    if (raw == null) {
      return DEFAULT_LIMIT;
    }
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= MAX_LIMIT) {
        return limit;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw ApiException.validation("limit", "The limit must be an integer from 1 to " + MAX_LIMIT + ".");
  }
}
