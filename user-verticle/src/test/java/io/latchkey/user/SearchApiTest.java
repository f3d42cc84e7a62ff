package io.latchkey.user;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/** GET /users: plain-text search, stable order, cursor paging without repeats or gaps. */
@UserServiceTest
class SearchApiTest {

  private static final List<String> PAGED = new ArrayList<>();
  private final UserServiceFixture f;

  SearchApiTest(UserServiceFixture f) {
    this.f = f;
  }

  @BeforeAll
  static void registerTheUsersToFind(UserServiceFixture f) {
    for (int i = 0; i < 23; i++) {
      PAGED.add(f.register("pager" + i, "pager" + i + "@example.com", "a sturdy passphrase").getString("id"));
    }
    f.register("pct_user", "percent@example.com", "a sturdy passphrase");
    f.send(HttpMethod.PUT, "/users/" + f.register("pctname", "pctname@example.com", "a sturdy passphrase").getString("id"),
      new JsonObject().put("displayName", "100% Real_Name"), key());
  }

  private HttpResponse<Buffer> search(String query) {
    return f.send(HttpMethod.GET, "/users" + query, null, key());
  }

  private static String q(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  private static List<String> usernames(HttpResponse<Buffer> response) {
    List<String> names = new ArrayList<>();
    response.bodyAsJsonObject().getJsonArray("items").forEach(u -> names.add(((JsonObject) u).getString("username")));
    return names;
  }

  @Test
  void cursorPagesThroughEveryMatchOnceInAStableOrder() {
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      HttpResponse<Buffer> page = search("?search=PAGER&limit=5" + (cursor == null ? "" : "&cursor=" + q(cursor)));
      assertThat(page.statusCode()).as(page.bodyAsString()).isEqualTo(200);
      JsonObject body = page.bodyAsJsonObject();
      assertThat(body.containsKey("nextCursor")).isTrue();
      body.getJsonArray("items").forEach(u -> {
        assertThat(((JsonObject) u).fieldNames()).doesNotContain("passwordHash");
        seen.add(((JsonObject) u).getString("id"));
      });
      cursor = body.getString("nextCursor");
      pages++;
    } while (cursor != null && pages < 20);

    assertThat(pages).isEqualTo(5);
    assertThat(seen).as("no repeats, no gaps, in creation order").containsExactlyElementsOf(PAGED);

    HttpResponse<Buffer> all = search("?search=pager&limit=100");
    assertThat(all.bodyAsJsonObject().getJsonArray("items")).hasSize(23);
    assertThat(all.bodyAsJsonObject().getValue("nextCursor")).isNull();
  }

  @Test
  void defaultLimitIsTwenty() {
    HttpResponse<Buffer> page = search("?search=pager");
    assertThat(page.bodyAsJsonObject().getJsonArray("items")).hasSize(20);
    assertThat(page.bodyAsJsonObject().getString("nextCursor")).isNotBlank();
  }

  @Test
  void searchMatchesUsernameEmailAndDisplayNameAsPlainTextIgnoringCase() {
    assertThat(usernames(search("?search=" + q("PERCENT@")))).containsExactly("pct_user");
    assertThat(usernames(search("?search=" + q("100%")))).containsExactly("pctname");
    assertThat(usernames(search("?search=" + q("real_name")))).containsExactly("pctname");
    assertThat(usernames(search("?search=" + q("l_n")))).as("'_' is not a wildcard").containsExactly("pctname");
    assertThat(usernames(search("?search=" + q("%")))).as("'%' is not a wildcard").containsExactly("pctname");
    assertThat(usernames(search("?search=" + q("pct_")))).as("'_' matches only itself").containsExactly("pct_user");
    assertThat(usernames(search("?search=" + q("\\")))).isEmpty();
    Set<String> everyone = new HashSet<>(usernames(search("?limit=100")));
    assertThat(everyone).contains("pager0", "pct_user", "pctname");
  }

  @Test
  void badLimitsAndCursorsAreValidationFailed() {
    for (String query : List.of("?limit=0", "?limit=101", "?limit=abc", "?limit=-1", "?limit=1.5", "?cursor=garbage",
      "?cursor=" + q("djE6MTox"), "?search=" + "x".repeat(201))) {
      assertProblem(search(query), 400, "validation_failed");
    }
  }

  @Test
  void searchIsForAdminsOnly() {
    JsonObject plain = f.userWithToken("plain_searcher");
    JsonObject admin = f.userWithToken("admin_searcher", "user", "admin");
    assertProblem(f.send(HttpMethod.GET, "/users", null, bearer(plain.getString("token"))), 403, "forbidden");
    assertProblem(f.send(HttpMethod.GET, "/users", null, Map.of()), 401, "invalid_token");
    assertThat(f.send(HttpMethod.GET, "/users?search=pager", null, bearer(admin.getString("token"))).statusCode()).isEqualTo(200);
  }
}
