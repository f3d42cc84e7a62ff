package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.DatabaseSetup;
import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The upgrade to V14. Sessions opened before it hold legacy refresh tokens (43 characters of
 * base64url, found by their SHA-256; every rotation left a row in retired_refresh_tokens). The
 * database is built as V13 left it, with such sessions written by raw SQL, then the module
 * migrates it: a legacy token refreshes into a token of the new format, a retry inside the grace
 * gets the same successor, presenting it again later is reuse and revokes the session, it logs
 * out (current or rotated), a token rotated before the upgrade is still reuse (and a retry of one
 * rotated just before it still gets its successor), and none of it adds a retired row.
 */
@AuthTest(before = LegacyRefreshTokensTest.AsV13LeftThem.class, settings = "REFRESH_GRACE_SECONDS=120")
class LegacyRefreshTokensTest {

  /** The fixture's REFRESH_TOKEN_SECRET: V13 derived a successor as HMAC-SHA256 under it. */
  static final String SECRET = "a-test-refresh-secret-of-at-least-32-bytes";
  static final SecureRandom RANDOM = new SecureRandom();

  /** A session as V13 wrote it: its current legacy token and, when it had rotated, its last retired one. */
  record Legacy(UUID id, String token, String retired, String retiredAgo, boolean revoked) {

    static Legacy fresh() {
      return new Legacy(UUID.randomUUID(), legacyToken(), null, null, false);
    }

    /** Rotated {@code ago} before the upgrade: the current token is the retired one's successor by V13's rule. */
    static Legacy rotated(String ago) {
      String retired = legacyToken();
      return new Legacy(UUID.randomUUID(), v13SuccessorOf(retired), retired, ago, false);
    }
  }

  static final Legacy UNTOUCHED = Legacy.rotated("5 minutes");
  static final Legacy REVOKED = new Legacy(UUID.randomUUID(), legacyToken(), null, null, true);
  static final Legacy REFRESHED = Legacy.fresh();
  static final Legacy REUSED_AFTER_THE_GRACE = Legacy.fresh();
  static final Legacy CONCURRENT = Legacy.fresh();
  static final Legacy LOGGED_OUT = Legacy.fresh();
  static final Legacy LOGGED_OUT_AFTER_ROTATION = Legacy.fresh();
  static final Legacy REUSED_FROM_BEFORE = Legacy.rotated("1 hour");
  static final Legacy RETRIED_ACROSS_THE_UPGRADE = Legacy.rotated("0 seconds");
  static final Legacy REVOKED_BY_RETIRED_TOKEN = Legacy.rotated("1 day");
  static final List<Legacy> ALL = List.of(UNTOUCHED, REVOKED, REFRESHED, REUSED_AFTER_THE_GRACE, CONCURRENT, LOGGED_OUT, LOGGED_OUT_AFTER_ROTATION,
    REUSED_FROM_BEFORE, RETRIED_ACROSS_THE_UPGRADE, REVOKED_BY_RETIRED_TOKEN);
  static final long RETIRED_ROWS = ALL.stream().filter(s -> s.retired() != null).count();

  /** Migrates to V13 and writes the sessions above with V13's columns only. */
  public static final class AsV13LeftThem implements DatabaseSetup {

    @Override
    public void prepare(DbConfig database) throws Exception {
      assertThat(Database.migrateNow(database, "auth", "13")).isEqualTo(5);
      try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
           PreparedStatement session = c.prepareStatement("""
             INSERT INTO auth.sessions (id, user_id, username, roles, password_version, current_hash, refresh_expires_at,
                                        expires_at, user_agent, ip, revoked_at, revoked_reason)
             VALUES (?, ?, 'legacy', ?, 1, ?, now() + interval '30 days', now() + interval '90 days', 'JUnit', '127.0.0.1',
                     CASE WHEN ? THEN now() END, CASE WHEN ? THEN 'logout' END)""");
           PreparedStatement retired = c.prepareStatement(
             "INSERT INTO auth.retired_refresh_tokens (hash, session_id, retired_at) VALUES (?, ?, now() - ?::interval)")) {
        for (Legacy s : ALL) {
          session.setObject(1, s.id());
          session.setObject(2, UUID.randomUUID());
          session.setArray(3, c.createArrayOf("text", new String[] {"user"}));
          session.setBytes(4, sha256(s.token()));
          session.setBoolean(5, s.revoked());
          session.setBoolean(6, s.revoked());
          session.executeUpdate();
          if (s.retired() != null) {
            retired.setBytes(1, sha256(s.retired()));
            retired.setObject(2, s.id());
            retired.setString(3, s.retiredAgo());
            retired.executeUpdate();
          }
        }
      }
    }
  }

  private final AuthFixture auth;

  LegacyRefreshTokensTest(AuthFixture auth) {
    this.auth = auth;
  }

  @Test
  void theMigrationKeepsTheLegacyTokenOfEveryLiveSessionAndDropsTheIndexOnTheCurrentHash() {
    JsonObject untouched = row(UNTOUCHED.id());
    assertThat(untouched.getString("current_hash")).isEqualTo(untouched.getString("legacy_hash"))
      .isEqualTo(hex(sha256(UNTOUCHED.token())));
    assertThat(untouched.getLong("refresh_generation")).isZero();
    assertThat(untouched.getLong("rotated_ago_s")).as("rotated_at").isNull();
    assertThat(row(REVOKED.id()).getString("legacy_hash")).as("a revoked session needs none").isNull();
    List<String> indexes = auth.query("SELECT indexdef FROM pg_indexes WHERE schemaname = 'auth' AND tablename = 'sessions'",
      rows -> {
        List<String> definitions = new ArrayList<>();
        rows.forEach(r -> definitions.add(r.getString("indexdef")));
        return definitions;
      });
    assertThat(indexes).as("no index covers current_hash or refresh_expires_at, so a rotation can be a HOT update").isNotEmpty()
      .noneMatch(definition -> definition.contains("current_hash") || definition.contains("(refresh_expires_at)"));
  }

  @Test
  void aLegacyTokenRefreshesRetriesInsideTheGraceAndIsReuseOnceItsSuccessorRotated() {
    HttpResponse<Buffer> first = refresh(REFRESHED.token());
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    JsonObject pair = first.bodyAsJsonObject();
    assertThat(pair.getString("sessionId")).isEqualTo(REFRESHED.id().toString());
    String successor = pair.getString("refreshToken");
    assertThat(successor).hasSize(98);
    assertThat(auth.validity(0, pair.getString("accessToken"))).isEqualTo("valid");
    JsonObject rotated = row(REFRESHED.id());
    assertThat(rotated.getLong("refresh_generation")).isEqualTo(1);
    assertThat(rotated.getString("legacy_hash")).as("the legacy token's hash, kept for reuse detection")
      .isEqualTo(hex(sha256(REFRESHED.token()))).isNotEqualTo(rotated.getString("current_hash"));

    HttpResponse<Buffer> retry = refresh(REFRESHED.token());
    assertThat(retry.statusCode()).as(retry.bodyAsString()).isEqualTo(200);
    assertThat(retry.bodyAsJsonObject().getString("refreshToken")).as("the same successor").isEqualTo(successor);

    HttpResponse<Buffer> next = refresh(successor);
    assertThat(next.statusCode()).as(next.bodyAsString()).isEqualTo(200);
    String third = next.bodyAsJsonObject().getString("refreshToken");

    assertProblem(refresh(REFRESHED.token()), 401, "refresh_token_reused");
    assertThat(auth.revokedReason(REFRESHED.id().toString())).isEqualTo("refresh_token_reused");
    assertProblem(refresh(third), 401, "invalid_refresh_token");
    assertThat(auth.validity(0, next.bodyAsJsonObject().getString("accessToken"))).isEqualTo("revoked");
    assertNoRetiredRowAdded();
  }

  @Test
  void aRotatedLegacyTokenPresentedAfterTheGraceIsReuse() {
    JsonObject pair = refresh(REUSED_AFTER_THE_GRACE.token()).bodyAsJsonObject();
    auth.query("UPDATE auth.sessions SET rotated_at = rotated_at - interval '121 seconds' WHERE id = $1",
      rows -> rows.rowCount(), REUSED_AFTER_THE_GRACE.id());

    assertProblem(refresh(REUSED_AFTER_THE_GRACE.token()), 401, "refresh_token_reused");
    assertThat(auth.revokedReason(REUSED_AFTER_THE_GRACE.id().toString())).isEqualTo("refresh_token_reused");
    assertProblem(refresh(pair.getString("refreshToken")), 401, "invalid_refresh_token");
  }

  @Test
  void tenConcurrentRefreshesOfALegacyTokenMakeOneSuccessor() {
    Set<String> successors = new HashSet<>();
    for (HttpResponse<Buffer> answer : auth.refreshAtOnce(0, CONCURRENT.token(), 10)) {
      assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
      successors.add(answer.bodyAsJsonObject().getString("refreshToken"));
    }
    assertThat(successors).hasSize(1);
    assertThat(row(CONCURRENT.id()).getLong("refresh_generation")).as("exactly one rotation").isEqualTo(1);
    assertThat(auth.revokedReason(CONCURRENT.id().toString())).isNull();
    assertNoRetiredRowAdded();
  }

  @Test
  void aLegacyTokenLogsOutItsSessionCurrentOrAlreadyRotated() {
    assertThat(logout(LOGGED_OUT.token()).statusCode()).isEqualTo(204);
    assertThat(auth.revokedReason(LOGGED_OUT.id().toString())).isEqualTo("logout");
    assertProblem(refresh(LOGGED_OUT.token()), 401, "invalid_refresh_token");

    assertThat(refresh(LOGGED_OUT_AFTER_ROTATION.token()).statusCode()).isEqualTo(200);
    assertThat(logout(LOGGED_OUT_AFTER_ROTATION.token()).statusCode()).as("the legacy token, rotated since").isEqualTo(204);
    assertThat(auth.revokedReason(LOGGED_OUT_AFTER_ROTATION.id().toString())).isEqualTo("logout");
    assertProblem(logout(LOGGED_OUT_AFTER_ROTATION.token()), 401, "invalid_refresh_token");
    assertNoRetiredRowAdded();
  }

  @Test
  void aTokenRotatedBeforeTheUpgradeIsReuseAndItsSuccessorRefreshesUntilThen() {
    assertProblem(refresh(REUSED_FROM_BEFORE.retired()), 401, "refresh_token_reused");
    assertThat(auth.revokedReason(REUSED_FROM_BEFORE.id().toString())).isEqualTo("refresh_token_reused");
    assertProblem(refresh(REUSED_FROM_BEFORE.token()), 401, "invalid_refresh_token");
  }

  @Test
  void aRetryOfATokenRotatedJustBeforeTheUpgradeGetsItsLegacySuccessor() {
    HttpResponse<Buffer> retry = refresh(RETRIED_ACROSS_THE_UPGRADE.retired());
    assertThat(retry.statusCode()).as(retry.bodyAsString()).isEqualTo(200);
    assertThat(retry.bodyAsJsonObject().getString("refreshToken")).isEqualTo(RETRIED_ACROSS_THE_UPGRADE.token());
    assertThat(auth.revokedReason(RETRIED_ACROSS_THE_UPGRADE.id().toString())).isNull();

    HttpResponse<Buffer> next = refresh(RETRIED_ACROSS_THE_UPGRADE.token());
    assertThat(next.statusCode()).as(next.bodyAsString()).isEqualTo(200);
    assertThat(next.bodyAsJsonObject().getString("refreshToken")).hasSize(98);
    assertProblem(refresh(RETRIED_ACROSS_THE_UPGRADE.retired()), 401, "refresh_token_reused");
    assertNoRetiredRowAdded();
  }

  @Test
  void revocationByATokenRotatedBeforeTheUpgradeEndsTheSession() {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("token", REVOKED_BY_RETIRED_TOKEN.retired());
    assertThat(await(auth.request(0, HttpMethod.POST, "/auth/revoke").sendForm(form)).statusCode()).isEqualTo(200);
    assertThat(auth.revokedReason(REVOKED_BY_RETIRED_TOKEN.id().toString())).isEqualTo("logout");
  }

  @Test
  void aRevokedLegacySessionStaysRefused() {
    assertProblem(refresh(REVOKED.token()), 401, "invalid_refresh_token");
    assertProblem(logout(REVOKED.token()), 401, "invalid_refresh_token");
  }

  HttpResponse<Buffer> refresh(String token) {
    return auth.refresh(0, token);
  }

  HttpResponse<Buffer> logout(String token) {
    return auth.postJson(0, "/auth/logout", new JsonObject().put("refreshToken", token));
  }

  JsonObject row(UUID id) {
    return auth.query("""
        SELECT encode(s.current_hash, 'hex') AS current_hash, encode(l.hash, 'hex') AS legacy_hash, s.refresh_generation,
               floor(extract(epoch FROM now() - s.rotated_at))::bigint AS rotated_ago_s
          FROM auth.sessions s LEFT JOIN auth.legacy_refresh_tokens l ON l.session_id = s.id WHERE s.id = $1""",
      rows -> rows.iterator().next().toJson(), id);
  }

  void assertNoRetiredRowAdded() {
    long rows = auth.query("SELECT count(*) AS n FROM auth.retired_refresh_tokens", r -> r.iterator().next().getLong("n"));
    assertThat(rows).isEqualTo(RETIRED_ROWS);
  }

  static String legacyToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** V13's successor rule (RefreshTokens.successorOf before V14), written out here on purpose. */
  static String v13SuccessorOf(String token) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
