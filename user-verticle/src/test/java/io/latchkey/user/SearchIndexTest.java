package io.latchkey.user;

import io.latchkey.user.repo.UserRepository;
import io.latchkey.user.service.SearchCursor;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The search keeps its contract on both of the planner's ways (users V7): the trigram index for
 * a term few users match, the ordered walk for a common one. With 50,000 users seeded and
 * analyzed (fewer, and a sequential scan is cheaper than the index even for a rare term), every
 * search is held against an oracle that knows nothing of LIKE or trigrams: {@code strpos} of the
 * lower-cased term in each lower-cased field, in (created_at, id) order.
 */
@UserServiceTest
class SearchIndexTest {

  private static final int SEEDED = 50_000;
  /** Pages of a common term compared with the oracle's first rows (all of them would be 500 requests). */
  private static final int COMMON_PAGES = 4;
  private final UserServiceFixture f;

  SearchIndexTest(UserServiceFixture f) {
    this.f = f;
  }

  /**
   * Users seed1..seed50000, one second apart and all older than anyone registered by the tests.
   * Display names: "Seed Person i", except a rare word (Zyzzyva, 3 users), a name with the LIKE
   * wildcards in it ("50%_off Ørsted", 2 users) beside three look-alikes, an upper-case "ØRSTED
   * ÅLESUND", and one user whose username and email start with other words (crossalpha, betamail).
   */
  @BeforeAll
  static void seed(UserServiceFixture f) {
    f.execute("INSERT INTO users.users (id, username, email, email_key, display_name, password_hash, created_at, updated_at) "
      + "SELECT md5('search-index-test' || i)::uuid, u.username, u.email, lower(u.email), u.display_name, "
      + "'$2a$04$abcdefghijklmnopqrstuu4Q7VnOQ1aWv9h5Z5mI4O7Ct6cUy1ZpS', now() - (? - i) * interval '1 second', now() "
      + "FROM generate_series(1, ?) i CROSS JOIN LATERAL (SELECT "
      + "  CASE WHEN i = 30000 THEN 'crossalpha30000' ELSE 'seed' || i END AS username, "
      + "  CASE WHEN i = 30000 THEN 'betamail30000@seed.example' ELSE 'seed' || i || '@seed.example' END AS email, "
      + "  CASE WHEN i IN (1000, 25000, 40000) THEN 'Zyzzyva ' || i "
      + "       WHEN i IN (15000, 35000) THEN '50%_off Ørsted' WHEN i = 16000 THEN '50% off' WHEN i = 17000 THEN '50x_off' "
      + "       WHEN i = 18000 THEN '50%Xoff' WHEN i = 20000 THEN 'ØRSTED ÅLESUND' "
      + "       ELSE 'Seed Person ' || i END AS display_name) u", SEEDED + 1, SEEDED);
    f.execute("ANALYZE users.users");
  }

  private static String q(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  /** The ids the contract asks for: the term as plain text in any one field, ignoring case, in order. */
  private List<String> oracle(String term) {
    return f.rows("SELECT id::text AS id FROM users.users WHERE strpos(lower(username), lower(?)) > 0 "
        + "OR strpos(lower(email), lower(?)) > 0 OR strpos(lower(coalesce(display_name, '')), lower(?)) > 0 ORDER BY created_at, id",
      term, term, term).stream().map(r -> (String) r.get("id")).toList();
  }

  /**
   * The pages of a search from {@code cursor} (null: the first), at most {@code maxPages};
   * {@code between} runs after each page that has a next one. Asserts no page repeats a user.
   */
  private List<String> pages(String term, int limit, String cursor, int maxPages, Runnable between) {
    List<String> seen = new ArrayList<>();
    int pages = 0;
    do {
      HttpResponse<Buffer> page = f.send(HttpMethod.GET, "/users?search=" + q(term) + "&limit=" + limit
        + (cursor == null ? "" : "&cursor=" + q(cursor)), null, key());
      assertThat(page.statusCode()).as(page.bodyAsString()).isEqualTo(200);
      JsonObject body = page.bodyAsJsonObject();
      assertThat(body.getJsonArray("items").size()).isLessThanOrEqualTo(limit);
      body.getJsonArray("items").forEach(u -> seen.add(((JsonObject) u).getString("id")));
      cursor = body.getString("nextCursor");
      pages++;
      if (cursor != null && pages < maxPages) {
        between.run();
      }
    } while (cursor != null && pages < maxPages);
    assertThat(new HashSet<>(seen)).as("no user twice").hasSize(seen.size());
    return seen;
  }

  /** Every match of a term few users match, page by page. */
  private List<String> search(String term) {
    return pages(term, 100, null, 100, () -> { });
  }

  /** The first pages of a common term, and the oracle's rows as far as they reach. */
  private void assertCommon(String term) {
    List<String> found = pages(term, 100, null, COMMON_PAGES, () -> { });
    assertThat(found).as(term).hasSize(100 * COMMON_PAGES).containsExactlyElementsOf(oracle(term).subList(0, found.size()));
  }

  private String plan(String term) {
    return f.rows("EXPLAIN SELECT id FROM users.users WHERE " + UserRepository.SEARCH_TEXT + " ILIKE ? ESCAPE '\\' "
        + "ORDER BY created_at, id LIMIT 21", "%" + term + "%").stream()
      .map(r -> (String) r.get("QUERY PLAN")).collect(Collectors.joining("\n"));
  }

  @Test
  void thePlannerTakesTheIndexForARareTermAndTheOrderedWalkForACommonOne() {
    assertThat(plan("zyzzyva")).contains("Bitmap Index Scan on users_search_trgm");
    assertThat(plan("nothing-like-this")).contains("Bitmap Index Scan on users_search_trgm");
    assertThat(plan("seed")).contains("Index Scan using users_created_at_id").doesNotContain("users_search_trgm");
  }

  @Test
  void rareAndCommonTermsFindExactlyWhatThePlainTextMatchFinds() {
    for (String term : List.of("zyzzyva", "ZYZZYVA", "zyZZyva 25", "SEED1234", "person 4999", "crossalpha", "betamail",
      "nothing-like-this", "ørsted", "ØRSTED", "ålesund")) {
      assertThat(search(term)).as(term).containsExactlyElementsOf(oracle(term));
    }
    assertThat(search("zyzzyva")).as("the three seeded, and any a paging test added").hasSizeGreaterThanOrEqualTo(3);
    assertThat(search("ørsted")).hasSize(3);
    for (String term : List.of("seed", "SEED PERSON", "@seed.example", "5", "on 1")) {
      assertCommon(term);
    }
  }

  @Test
  void percentAndUnderscoreMatchOnlyThemselves() {
    Set<String> names = new HashSet<>();
    for (String id : search("50%_off")) {
      names.add((String) f.userRow(id).get("display_name"));
    }
    assertThat(names).containsExactly("50%_off Ørsted");
    assertThat(search("50%_off")).hasSize(2).containsExactlyElementsOf(oracle("50%_off"));
    assertThat(search("0%_o")).containsExactlyElementsOf(oracle("0%_o")).hasSize(2);
    assertThat(search("%x")).as("'%X' in 50%Xoff, and nothing else").containsExactlyElementsOf(oracle("%x")).hasSize(1);
    assertThat(search("_off")).containsExactlyElementsOf(oracle("_off")).hasSize(3);
  }

  @Test
  void aTermAcrossTwoFieldsMatchesNothing() {
    // username "crossalpha30000" then email "betamail30000@..."; every email "...@seed.example" then display name "Seed Person ..."
    for (String term : List.of("crossalpha30000betamail", "30000betamail", "seed.exampleseed", "exampleseed person", "example seed")) {
      assertThat(search(term)).as(term).isEmpty();
    }
    assertProblem(f.send(HttpMethod.GET, "/users?search=" + q("alpha30000\u0001betamail"), null, key()), 400, "validation_failed");
  }

  @Test
  void pagingThroughARareTermOrACommonOneWhileUsersRegisterRepeatsAndSkipsNone() {
    int[] added = {0};
    // the index's way: one match a page, two more registering meanwhile (they come last: newest)
    List<String> rare = pages("zyzzyva", 1, null, 100, () -> {
      if (added[0] < 2) {
        register("zyzzyva_new" + added[0]++, "New Zyzzyva");
      }
    });
    assertThat(rare).containsExactlyElementsOf(oracle("zyzzyva"));
    assertThat(rare.size()).isGreaterThanOrEqualTo(5);

    // the walk's way, after the 49,800th seeded user, one registering after each page until the end
    Map<String, Object> from = f.rows("SELECT (extract(epoch FROM created_at) * 1000000)::bigint AS micros, id::text AS id "
      + "FROM users.users WHERE username = 'seed49800'").get(0);
    long micros = (Long) from.get("micros");
    String cursor = new SearchCursor(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000),
      UUID.fromString((String) from.get("id"))).encode();
    int[] seedlings = {0};
    List<String> common = pages("seed", 50, cursor, 100, () -> register("seedling" + seedlings[0]++, null));
    List<String> expected = oracle("seed");
    expected = expected.subList(expected.indexOf((String) from.get("id")) + 1, expected.size());
    assertThat(common).containsExactlyElementsOf(expected);
    assertThat(seedlings[0]).as("users registered while paging, found at the end").isGreaterThanOrEqualTo(4);
  }

  private void register(String username, String displayName) {
    JsonObject body = new JsonObject().put("username", username).put("email", username + "@late.example")
      .put("password", "a sturdy passphrase");
    if (displayName != null) {
      body.put("displayName", displayName);
    }
    HttpResponse<Buffer> response = f.send(HttpMethod.POST, "/users", body, Map.of());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
  }
}
