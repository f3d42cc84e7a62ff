package io.latchkey.user;

import io.latchkey.common.Database;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.retention.RetentionJob;
import io.latchkey.common.retention.RetentionJob.Result;
import io.latchkey.common.retention.RetentionJob.RuleRun;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The user service's retention rules, as the module runs them (default retentions: notices and
 * mails 7 days after delivery, mailed tokens 1 day after expiry, audit events 90 days): each
 * deletes exactly what is due, and sending a password-changed notice again needs none of the
 * rows it deletes.
 */
@UserServiceTest
class RetentionRulesTest {

  private final UserServiceFixture f;
  private final Vertx vertx;
  private Pool pool;

  RetentionRulesTest(UserServiceFixture f, Vertx vertx) {
    this.f = f;
    this.vertx = vertx;
  }

  @BeforeEach
  void openPool() {
    pool = Database.pool(vertx, f.database);
  }

  @AfterEach
  void closePool() {
    await(pool.close());
  }

  private List<RuleRun> runRetention(MeterRegistry metrics) {
    UserConfig config = UserServiceFixture.config(f.database, Map.of());
    return await(new RetentionJob(pool, UserModule.retentionRules(config, new AuditTrail(pool, UserModule.SCHEMA)), Duration.ZERO,
      1000, 100, metrics).runOnce());
  }

  @Test
  void eachRuleDeletesExactlyWhatIsPastItsRetention() {
    String user = UUID.randomUUID().toString();
    String tokenUser = f.register("rita_retention", "rita.retention@example.com", "rita's long passphrase").getString("id");
    // next_attempt_at a day ahead keeps the relays off the rows that are not done
    f.execute("""
      INSERT INTO users.outbox (user_id, type, created_at, next_attempt_at, delivered_at, request_id) VALUES
        ('%1$s', 'roles_changed', now() - interval '30 days', now() + interval '1 day', NULL, 'undelivered-30d'),
        ('%1$s', 'roles_changed', now() - interval '9 days', now() - interval '9 days', now() - interval '8 days', 'delivered-8d'),
        ('%1$s', 'roles_changed', now() - interval '7 days', now() - interval '7 days', now() - interval '6 days', 'delivered-6d');
      INSERT INTO users.mail_outbox (kind, user_id, recipient, request_id, created_at, next_attempt_at, done_at, outcome) VALUES
        ('email_changed', '%1$s', 'r@example.com', 'waiting-30d', now() - interval '30 days', now() + interval '1 day', NULL, NULL),
        ('email_changed', '%1$s', 'r@example.com', 'sent-8d', now() - interval '8 days', now(), now() - interval '8 days', 'sent'),
        ('reset_request', NULL, 'r@example.com', 'closed-8d', now() - interval '8 days', now(), now() - interval '8 days', 'no_account'),
        ('email_changed', '%1$s', 'r@example.com', 'sent-6d', now() - interval '6 days', now(), now() - interval '6 days', 'sent');
      INSERT INTO users.mail_tokens (token_hash, user_id, purpose, email_key, created_at, expires_at, used_at) VALUES
        (sha256('expired-2d'), '%2$s', 'verify_email', 'expired-2d', now() - interval '3 days', now() - interval '2 days', NULL),
        (sha256('used-expired-2d'), '%2$s', 'password_reset', 'used-expired-2d', now() - interval '3 days', now() - interval '2 days',
         now() - interval '3 days'),
        (sha256('expired-12h'), '%2$s', 'verify_email', 'expired-12h', now() - interval '1 day', now() - interval '12 hours', NULL),
        (sha256('used-live'), '%2$s', 'verify_email', 'used-live', now() - interval '1 hour', now() + interval '1 day', now());
      INSERT INTO users.passkey_challenges (challenge_hash, user_id, expires_at) VALUES
        (sha256('challenge-expired-2h'), '%2$s', now() - interval '2 hours'),
        (sha256('challenge-expired-30m'), '%2$s', now() - interval '30 minutes'),
        (sha256('challenge-live'), '%2$s', now() + interval '5 minutes');
      INSERT INTO users.audit_events (id, time, type, user_id, outcome, request_id) VALUES
        (gen_random_uuid(), now() - interval '91 days', 'user.enabled', '%1$s', 'success', 'audit-91d'),
        (gen_random_uuid(), now() - interval '89 days', 'user.enabled', '%1$s', 'success', 'audit-89d');
      """.formatted(user, tokenUser));
    MeterRegistry metrics = new SimpleMeterRegistry();

    List<RuleRun> runs = runRetention(metrics);

    assertThat(runs).extracting(RuleRun::table)
      .containsExactly("users.outbox", "users.mail_outbox", "users.mail_tokens", "users.passkey_challenges", "users.audit_events");
    assertThat(runs).allSatisfy(run -> assertThat(run.result()).isEqualTo(Result.DONE));
    assertThat(f.rows("SELECT request_id FROM users.outbox WHERE user_id = ?::uuid ORDER BY id", user))
      .extracting(r -> r.get("request_id")).as("an undelivered notice stays however old; a delivered one 7 days")
      .containsExactly("undelivered-30d", "delivered-6d");
    assertThat(f.rows("SELECT request_id FROM users.mail_outbox WHERE recipient = 'r@example.com' ORDER BY id"))
      .extracting(r -> r.get("request_id")).containsExactly("waiting-30d", "sent-6d");
    assertThat(f.rows("SELECT email_key FROM users.mail_tokens WHERE user_id = ?::uuid"
      + " AND email_key IN ('expired-2d', 'used-expired-2d', 'expired-12h', 'used-live') ORDER BY email_key", tokenUser))
      .extracting(r -> r.get("email_key")).as("a token stays until a day after its expiry, used or not")
      .containsExactly("expired-12h", "used-live");
    assertThat(f.rows("SELECT request_id FROM users.audit_events WHERE user_id = ?::uuid", user))
      .extracting(r -> r.get("request_id")).containsExactly("audit-89d");
    assertThat(f.rows("SELECT challenge_hash FROM users.passkey_challenges WHERE user_id = ?::uuid ORDER BY expires_at", tokenUser))
      .as("a registration challenge stays an hour after its expiry").hasSize(2);
    for (String table : List.of("users.outbox", "users.mail_outbox", "users.mail_tokens", "users.passkey_challenges",
      "users.audit_events")) {
      RuleRun run = runs.stream().filter(r -> r.table().equals(table)).findFirst().orElseThrow();
      assertThat(metrics.get("latchkey.retention.deleted").tag("table", table).counter().count()).as(table)
        .isEqualTo(run.deleted()).isPositive();
    }
    assertThat(runs.get(2).deleted()).as("mail tokens: exactly the two expired two days ago").isEqualTo(2);
  }

  @Test
  void sendingAPasswordChangedNoticeAgainKeepsTheKeptSessionAfterTheNoticeWasDeleted() {
    JsonObject ivy = f.userWithToken("ivy_kept");
    String id = ivy.getJsonObject("user").getString("id");
    String token = ivy.getString("token");
    assertThat(f.send(HttpMethod.POST, "/users/" + id + "/change-password", new JsonObject()
      .put("currentPassword", "correct horse ivy_kept").put("newPassword", "ivy's brand new passphrase"), bearer(token)).statusCode())
      .isEqualTo(204);
    String kept = f.auth.sessionOf(token);
    assertThat(f.outboxRows(id)).singleElement().satisfies(row -> assertThat(row.get("keep_session_id")).isEqualTo(kept));
    assertThat(f.userRow(id).get("password_kept_session")).isEqualTo(kept);

    // the notice was delivered long ago and the retention took it
    f.execute("UPDATE users.outbox SET delivered_at = now() - interval '8 days' WHERE user_id = '" + id + "'");
    runRetention(new SimpleMeterRegistry());
    assertThat(f.outboxRows(id)).isEmpty();

    HttpResponse<Buffer> again = f.send(HttpMethod.POST, "/users/" + id + "/password-changed", null, key());
    assertThat(again.statusCode()).isEqualTo(202);
    assertThat(f.outboxRows(id)).singleElement().satisfies(row -> {
      assertThat(row.get("id")).isEqualTo(again.bodyAsJsonObject().getLong("eventId"));
      assertThat(row.get("password_version")).isEqualTo(2L);
      assertThat(row.get("keep_session_id")).as("the session the change kept").isEqualTo(kept);
    });
  }
}
