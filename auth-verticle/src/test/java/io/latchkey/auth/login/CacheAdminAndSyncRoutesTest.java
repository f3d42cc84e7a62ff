package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.Problems;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin view of the password cache and the access and body rules of the sync routes, on one
 * node of the real auth module (its real guard: an admin's and a user's access tokens).
 */
@Timeout(120)
@AuthTest
class CacheAdminAndSyncRoutesTest {

  /** Access tokens of an admin and of a plain user (sessions opened directly: neither is in the password cache). */
  static String adminToken;
  static String userToken;

  private final AuthFixture auth;

  CacheAdminAndSyncRoutesTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void start(AuthFixture auth) {
    adminToken = auth.openSession(0, auth.users.add("cache-admin", "an admin's password", "user", "admin")).accessToken();
    userToken = auth.openSession(0, auth.users.add("plain-user", "a user's password", "user")).accessToken();
  }

  Credentials cachedUser(String prefix) {
    Credentials user = auth.users.addUnique(prefix, "password " + prefix);
    assertThat(auth.login(0, user.username(), "password " + prefix).statusCode()).isEqualTo(200);
    return user;
  }

  HttpResponse<Buffer> admin(HttpMethod method, String path, JsonObject body) {
    var request = auth.request(0, method, path).putHeader("Authorization", "Bearer " + adminToken);
    return await(body == null ? request.send() : request.sendJsonObject(body));
  }

  @Test
  void theListingPagesThroughEveryEntryAndNeverShowsAHash() {
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      created.add(cachedUser("list" + i).userId());
    }
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      HttpResponse<Buffer> page = admin(HttpMethod.GET, "/admin/password-cache?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), null);
      assertThat(page.statusCode()).isEqualTo(200);
      String text = page.bodyAsString();
      assertThat(text).doesNotContain("passwordHash").doesNotContain("$2a$").doesNotContain("$2b$").doesNotContain("$2y$");
      JsonObject body = page.bodyAsJsonObject();
      assertThat(body.getInteger("size")).isGreaterThanOrEqualTo(3);
      JsonArray items = body.getJsonArray("items");
      assertThat(items.size()).isLessThanOrEqualTo(2);
      for (int i = 0; i < items.size(); i++) {
        JsonObject item = items.getJsonObject(i);
        assertThat(item.fieldNames()).containsExactlyInAnyOrder("userId", "username", "passwordVersion", "cachedAt");
        assertThat(seen.add(item.getString("userId"))).as("no entry twice").isTrue();
      }
      cursor = body.getString("nextCursor");
      pages++;
    } while (cursor != null && pages < 50);
    assertThat(seen).containsAll(created);
  }

  @Test
  void theListingRefusesBadParametersAndNonAdmins() {
    for (String query : List.of("?limit=0", "?limit=101", "?limit=abc", "?cursor=not-a-cursor")) {
      HttpResponse<Buffer> bad = admin(HttpMethod.GET, "/admin/password-cache" + query, null);
      assertThat(bad.statusCode()).as(query).isEqualTo(400);
      assertThat(bad.bodyAsJsonObject().getString("code")).isEqualTo("validation_failed");
    }
    HttpResponse<Buffer> user = await(auth.request(0, HttpMethod.GET, "/admin/password-cache")
      .putHeader("Authorization", "Bearer " + userToken).send());
    Problems.assertProblem(user, 403, "forbidden");
    HttpResponse<Buffer> nobody = await(auth.request(0, HttpMethod.GET, "/admin/password-cache").send());
    assertThat(nobody.statusCode()).isEqualTo(401);
    HttpResponse<Buffer> withKey = await(auth.request(0, HttpMethod.GET, "/admin/password-cache")
      .putHeader("X-API-Key", AuthFixture.FULL_KEY).send());
    assertThat(withKey.statusCode()).isEqualTo(200);
    HttpResponse<Buffer> wrongKey = await(auth.request(0, HttpMethod.DELETE, "/admin/password-cache/" + UUID.randomUUID())
      .putHeader("X-API-Key", "wrong").send());
    Problems.assertProblem(wrongKey, 401, "invalid_api_key");
  }

  @Test
  void deletingAnEntryEvictsItOnce() {
    Credentials user = cachedUser("evict");
    int asked = auth.users.credentialRequests();

    assertThat(admin(HttpMethod.DELETE, "/admin/password-cache/" + user.userId(), null).statusCode()).isEqualTo(204);
    assertThat(await(auth.passwordCache(0).peek(user.userId()))).isNull();
    HttpResponse<Buffer> again = admin(HttpMethod.DELETE, "/admin/password-cache/" + user.userId(), null);
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(admin(HttpMethod.DELETE, "/admin/password-cache/not-a-uuid", null).statusCode()).isEqualTo(404);
    // the next login is a miss again
    assertThat(auth.login(0, user.email(), "password evict").statusCode()).isEqualTo(200);
    assertThat(auth.users.credentialRequests()).isEqualTo(asked + 1);
  }

  @Test
  void syncReReadsEntriesFromTheUserService() {
    Credentials one = cachedUser("syncone");
    Credentials two = cachedUser("synctwo");
    auth.users.changeEmail(one.userId(), "syncone-" + UUID.randomUUID() + "@example.com");

    HttpResponse<Buffer> single = admin(HttpMethod.POST, "/admin/password-cache/sync", new JsonObject().put("userId", one.userId()));
    assertThat(single.statusCode()).isEqualTo(200);
    assertThat(single.bodyAsJsonObject()).isEqualTo(new JsonObject().put("refreshed", 1));
    assertThat(await(auth.passwordCache(0).peek(one.userId())).credentials().email())
      .isEqualTo(auth.users.get(one.userId()).email());

    int size = await(auth.passwordCache(0).size());
    HttpResponse<Buffer> all = await(auth.request(0, HttpMethod.POST, "/admin/password-cache/sync")
      .putHeader("X-API-Key", AuthFixture.FULL_KEY).send());
    assertThat(all.statusCode()).isEqualTo(200);
    assertThat(all.bodyAsJsonObject().getInteger("refreshed")).isEqualTo(size).isGreaterThanOrEqualTo(2);
    assertThat(await(auth.passwordCache(0).peek(two.userId()))).isNotNull();

    HttpResponse<Buffer> badBody = admin(HttpMethod.POST, "/admin/password-cache/sync", new JsonObject().put("userId", "x"));
    assertThat(badBody.statusCode()).isEqualTo(400);
  }

  @Test
  void syncAnswers503WhileTheUserServiceIsDown() {
    cachedUser("down");
    await(auth.users.stop());
    try {
      HttpResponse<Buffer> response = admin(HttpMethod.POST, "/admin/password-cache/sync", new JsonObject());
      Problems.assertProblem(response, 503, "user_service_unavailable");
    } finally {
      await(auth.users.start());
    }
  }

  @Test
  void syncRoutesNeedAFullKey() {
    for (String path : List.of("/auth/sync/password", "/auth/sync/user-deleted", "/auth/sync/user-updated")) {
      HttpResponse<Buffer> none = await(auth.request(0, HttpMethod.POST, path)
        .sendJsonObject(new JsonObject().put("userId", UUID.randomUUID().toString()).put("passwordVersion", 2)));
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.bodyAsJsonObject().getString("code")).isEqualTo("invalid_api_key");
      HttpResponse<Buffer> bearer = await(auth.request(0, HttpMethod.POST, path)
        .putHeader("Authorization", "Bearer " + adminToken)
        .sendJsonObject(new JsonObject().put("userId", UUID.randomUUID().toString())));
      assertThat(bearer.statusCode()).as(path).isEqualTo(401);
    }
  }

  @Test
  void syncRoutesRefuseBadBodies() {
    String id = UUID.randomUUID().toString();
    record Case(String path, Object body, String code) {
    }
    for (Case c : List.of(
      new Case("/auth/sync/password", new JsonObject().put("userId", id), "validation_failed"),
      new Case("/auth/sync/password", new JsonObject().put("userId", id).put("passwordVersion", "2"), "malformed_request"),
      new Case("/auth/sync/password", new JsonObject().put("userId", id).put("passwordVersion", 0), "validation_failed"),
      new Case("/auth/sync/password", new JsonObject().put("userId", id).put("passwordVersion", 1.5), "validation_failed"),
      new Case("/auth/sync/password", new JsonObject().put("userId", "nope").put("passwordVersion", 2), "validation_failed"),
      new Case("/auth/sync/password", new JsonObject().put("userId", id).put("passwordVersion", 2).put("keepSessionId", "x"), "validation_failed"),
      new Case("/auth/sync/user-deleted", new JsonObject(), "validation_failed"),
      new Case("/auth/sync/user-deleted", new JsonObject().put("userId", id).put("extra", 1), "validation_failed"),
      new Case("/auth/sync/user-updated", new JsonObject().put("userId", 7), "malformed_request"),
      new Case("/auth/sync/user-updated", "[1]", "malformed_request"))) {
      var request = auth.request(0, HttpMethod.POST, c.path()).putHeader("X-API-Key", AuthFixture.FULL_KEY);
      HttpResponse<Buffer> response = await(c.body() instanceof JsonObject json
        ? request.sendJsonObject(json)
        : request.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer((String) c.body())));
      assertThat(response.statusCode()).as(c.toString()).isEqualTo(400);
      assertThat(response.bodyAsJsonObject().getString("code")).as(c.toString()).isEqualTo(c.code());
    }
  }

  @Test
  void syncCallsAreIdempotent() {
    Credentials user = cachedUser("idem");
    auth.users.changePassword(user.userId(), "password idem 2");
    JsonObject body = new JsonObject().put("userId", user.userId()).put("passwordVersion", 2);

    assertThat(auth.postWithKey(0, "/auth/sync/password", body).statusCode()).isEqualTo(204);
    assertThat(auth.postWithKey(0, "/auth/sync/password", body).statusCode()).isEqualTo(204);
    // an older, late announcement changes nothing
    assertThat(auth.postWithKey(0, "/auth/sync/password", body.copy().put("passwordVersion", 1)).statusCode()).isEqualTo(204);

    long stored = auth.query("SELECT password_version FROM auth.user_sync_state WHERE user_id = $1",
      rows -> rows.iterator().next().getLong(0), UUID.fromString(user.userId()));
    assertThat(stored).isEqualTo(2);
    assertThat(auth.login(0, user.username(), "password idem").statusCode()).isEqualTo(401);
    assertThat(auth.login(0, user.username(), "password idem 2").statusCode()).isEqualTo(200);
  }
}
