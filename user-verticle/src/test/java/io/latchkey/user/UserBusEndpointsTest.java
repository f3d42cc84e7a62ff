package io.latchkey.user;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.PasswordRehash;
import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.failure;
import static org.assertj.core.api.Assertions.assertThat;

/** USER_CREDENTIALS and USER_GET, asked from another clustered node the way the auth service asks. */
@UserServiceTest(nodes = 2)
class UserBusEndpointsTest {

  private static Vertx authNode;
  private static UserServiceFixture f;
  private static BusClient client;
  private static JsonObject user;

  /** The user service runs on the first node; the second asks it the way the auth service's node does. */
  @BeforeAll
  static void start(UserServiceFixture fixture, @OnNode(1) Vertx authSide) {
    f = fixture;
    authNode = authSide;
    client = new BusClient(authNode.eventBus(), UserServiceFixture.KEYS, 3000, "user_service_unavailable", "user service");
    JsonObject registered = f.register("Bus_User", "Bus.User@example.com", "a sturdy passphrase");
    // the user as it stands after the roles change (its updatedAt moved with the roles)
    user = f.send(HttpMethod.PUT, "/users/" + registered.getString("id") + "/roles",
      new JsonObject().put("roles", new io.vertx.core.json.JsonArray().add("user").add("admin")), UserServiceFixture.key())
      .bodyAsJsonObject();
  }

  private static JsonObject ask(String address, JsonObject body) {
    return await(client.request(address, body, "bus-test-" + UUID.randomUUID()));
  }

  @Test
  void credentialsByUsernameOrEmailInAnyCaseOrByUserId() {
    String id = user.getString("id");
    for (JsonObject request : List.of(new JsonObject().put("login", "bus_user"), new JsonObject().put("login", "BUS.USER@EXAMPLE.COM"),
      new JsonObject().put("userId", id))) {
      Credentials credentials = Credentials.fromJson(ask(BusAddresses.USER_CREDENTIALS, request));
      assertThat(credentials.userId()).as(request.encode()).isEqualTo(id);
      assertThat(credentials.username()).isEqualTo("Bus_User");
      assertThat(credentials.email()).isEqualTo("bus.user@example.com");
      assertThat(credentials.roles()).containsExactly("user", "admin");
      assertThat(credentials.passwordHash()).isEqualTo(f.userRow(id).get("password_hash")).startsWith("$2a$");
      assertThat(credentials.passwordVersion()).isEqualTo(1L);
      assertThat(credentials.updatedAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).as("the user's last change, roles included")
        .isEqualTo(java.time.Instant.parse(user.getString("updatedAt")));
    }
  }

  @Test
  void aRehashReplacesTheHashOnlyWhileHashAndVersionAreUnchanged() {
    JsonObject registered = f.register("Bus_Rehash", "bus.rehash@example.com", "rehash passphrase");
    String id = registered.getString("id");
    String oldHash = f.userRow(id).get("password_hash").toString();
    String newHash = new String(at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(5,
      "rehash passphrase".getBytes(java.nio.charset.StandardCharsets.UTF_8)), java.nio.charset.StandardCharsets.UTF_8);

    for (PasswordRehash stale : List.of(new PasswordRehash(id, 1, newHash, newHash), new PasswordRehash(id, 2, oldHash, newHash),
      new PasswordRehash(UUID.randomUUID().toString(), 1, oldHash, newHash), new PasswordRehash("not-a-uuid", 1, oldHash, newHash))) {
      assertThat(PasswordRehash.Answer.fromJson(ask(BusAddresses.USER_PASSWORD_REHASH, stale.toJson())).result())
        .as(stale.toString()).isEqualTo(PasswordRehash.Result.STALE);
    }
    ApiException notBcrypt = (ApiException) failure(client.request(BusAddresses.USER_PASSWORD_REHASH,
      new PasswordRehash(id, 1, oldHash, io.latchkey.common.testing.ImportedHashes.pbkdf2Sha256("x")).toJson(), "bus-test"));
    assertThat(notBcrypt.status()).isEqualTo(400);
    assertThat(f.userRow(id).get("password_hash")).as("nothing stored by a refused request").isEqualTo(oldHash);

    PasswordRehash.Answer installed = PasswordRehash.Answer.fromJson(ask(BusAddresses.USER_PASSWORD_REHASH,
      new PasswordRehash(id, 1, oldHash, newHash).toJson()));

    assertThat(installed.result()).isEqualTo(PasswordRehash.Result.INSTALLED);
    assertThat(installed.credentials().passwordHash()).isEqualTo(newHash);
    assertThat(installed.credentials().passwordVersion()).as("same password, same version").isEqualTo(1);
    assertThat(installed.credentials().updatedAt()).isAfter(java.time.Instant.parse(registered.getString("updatedAt")));
    assertThat(f.userRow(id).get("password_hash")).isEqualTo(newHash);
    // the same upgrade again (a racing login that read the old hash) finds the hash changed
    assertThat(PasswordRehash.Answer.fromJson(ask(BusAddresses.USER_PASSWORD_REHASH,
      new PasswordRehash(id, 1, oldHash, oldHash).toJson())).result()).isEqualTo(PasswordRehash.Result.STALE);
    assertThat(f.userRow(id).get("password_hash")).isEqualTo(newHash);
  }

  @Test
  void readinessReportsTheClusterSizeThisNodeSees() {
    JsonObject ready = f.send(HttpMethod.GET, "/health/ready", null, Map.of()).bodyAsJsonObject();
    assertThat(ready.getInteger("clusterSize")).as("the user node and the auth node").isEqualTo(2);
  }

  @Test
  void userGetAnswersThePublicRepresentation() {
    JsonObject found = ask(BusAddresses.USER_GET, new JsonObject().put("userId", user.getString("id")));
    assertThat(found.getString("id")).isEqualTo(user.getString("id"));
    assertThat(found.fieldNames()).containsExactlyInAnyOrder("id", "username", "email", "emailVerified", "displayName", "roles", "disabled", "mfa",
      "createdAt", "updatedAt");
    assertThat(found.getJsonArray("roles")).containsExactly("user", "admin");
  }

  @Test
  void unknownUsersAreUserNotFound() {
    for (JsonObject request : List.of(new JsonObject().put("login", "nobody"), new JsonObject().put("userId", UUID.randomUUID().toString()),
      new JsonObject().put("userId", "not-a-uuid"))) {
      Throwable err = failure(client.request(BusAddresses.USER_CREDENTIALS, request, "bus-test"));
      assertThat(err).isInstanceOf(ApiException.class);
      assertThat(((ApiException) err).status()).isEqualTo(404);
      assertThat(((ApiException) err).code()).isEqualTo("user_not_found");
    }
    ApiException missing = (ApiException) failure(client.request(BusAddresses.USER_GET,
      new JsonObject().put("userId", "nope"), "bus-test"));
    assertThat(missing.code()).isEqualTo("user_not_found");
    ApiException empty = (ApiException) failure(client.request(BusAddresses.USER_CREDENTIALS, new JsonObject(), "bus-test"));
    assertThat(empty.status()).isEqualTo(400);
  }

  @Test
  void aMissingOrWrongApiKeyIsRefusedOnTheBus() {
    JsonObject body = new JsonObject().put("login", "bus_user");

    ReplyException noKey = (ReplyException) failure(authNode.eventBus().request(BusAddresses.USER_CREDENTIALS, body,
      new DeliveryOptions().setSendTimeout(3000)));
    assertThat(noKey.failureCode()).isEqualTo(401);
    assertThat(noKey.getMessage()).contains("invalid_api_key").doesNotContain("$2a$");

    ApiException wrongKey = (ApiException) failure(new BusClient(authNode.eventBus(), new ApiKeys(List.of("wrong-key"), List.of(), null),
      3000, "user_service_unavailable", "user service").request(BusAddresses.USER_GET, new JsonObject().put("userId", user.getString("id")),
      "bus-test"));
    assertThat(wrongKey.status()).isEqualTo(401);

    // the key itself, sent in plain as a header the way the first release did, proves nothing
    ReplyException plainKey = (ReplyException) failure(authNode.eventBus().request(BusAddresses.USER_GET,
      new JsonObject().put("userId", user.getString("id")),
      new DeliveryOptions().setSendTimeout(3000).addHeader("x-api-key", UserServiceFixture.FULL_KEY)));
    assertThat(plainKey.failureCode()).isEqualTo(401);

    ApiKeys validateOnly = new ApiKeys(List.of(UserServiceFixture.VALIDATE_KEY), List.of(), UserServiceFixture.VALIDATE_KEY);
    ApiException refused = (ApiException) failure(new BusClient(authNode.eventBus(), validateOnly, 3000, "user_service_unavailable",
      "user service").request(BusAddresses.USER_CREDENTIALS, body, "bus-test"));
    assertThat(refused.code()).isEqualTo("invalid_api_key");
  }

  @Test
  void repliesAreSignedAndAClientWithOtherKeysDoesNotTrustThem() {
    ApiKeys otherCluster = new ApiKeys(List.of("other-cluster-key"), List.of(), UserServiceFixture.FULL_KEY);
    ApiException untrusted = (ApiException) failure(new BusClient(authNode.eventBus(), otherCluster, 3000, "user_service_unavailable",
      "user service").request(BusAddresses.USER_GET, new JsonObject().put("userId", user.getString("id")), "bus-test"));
    assertThat(untrusted.status()).isEqualTo(503);
    assertThat(untrusted.code()).isEqualTo("user_service_unavailable");
  }
}
