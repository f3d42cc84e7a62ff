package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.retention.RetentionJob;
import io.latchkey.common.retention.RetentionJob.Result;
import io.latchkey.common.retention.RetentionJob.RuleRun;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auth service's retention rules, as the module runs them with the default lifetimes (access
 * tokens 15 min, refresh tokens 30 days, applied notices 30 days, audit events 90 days): each
 * deletes exactly what is due.
 */
@AuthTest
class RetentionRulesTest {

  private final AuthFixture auth;

  RetentionRulesTest(AuthFixture auth) {
    this.auth = auth;
  }

  private List<RuleRun> runRetention(MeterRegistry metrics) {
    return await(new RetentionJob(auth.sql(), AuthModule.retentionRules(auth.config(), new AuditTrail(auth.sql(), AuthModule.SCHEMA)),
      Duration.ZERO, 1000, 100, metrics).runOnce());
  }

  @Test
  void eachRuleDeletesExactlyWhatIsPastItsRetention() {
    UUID user = UUID.randomUUID();
    UUID passkeyLive = UUID.randomUUID();
    UUID passkeyExpired10min = UUID.randomUUID();
    UUID passkeyExpired2h = UUID.randomUUID();
    // username: what the session is; times relative to now
    session(user, "live", "now() + interval '1 day'", "now() + interval '60 days'", null);
    session(user, "idle-1d", "now() - interval '1 day'", "now() + interval '60 days'", null);
    session(user, "idle-10min", "now() - interval '10 minutes'", "now() + interval '60 days'", null);
    session(user, "ended-1d", "now() - interval '1 day'", "now() - interval '1 day'", null);
    session(user, "revoked-1h", "now() + interval '1 day'", "now() + interval '60 days'", "now() - interval '1 hour'");
    session(user, "revoked-1min", "now() + interval '1 day'", "now() + interval '60 days'", "now() - interval '1 minute'");
    retired(user, "live", "retired-31d", "now() - interval '31 days'");
    retired(user, "live", "retired-29d", "now() - interval '29 days'");
    retired(user, "idle-1d", "retired-of-idle", "now() - interval '2 days'");
    auth.query("""
      INSERT INTO auth.applied_user_notices (event_id, user_id, type, applied_at) VALUES
        (900000001, $1, 'roles_changed', now() - interval '31 days'),
        (900000002, $1, 'roles_changed', now() - interval '29 days')
      """, rows -> null, user);
    auth.query("""
      INSERT INTO auth.audit_events (id, time, type, user_id, outcome, request_id) VALUES
        (gen_random_uuid(), now() - interval '91 days', 'logout', $1, 'success', 'audit-91d'),
        (gen_random_uuid(), now() - interval '89 days', 'logout', $1, 'success', 'audit-89d')
      """, rows -> null, user);
    auth.query("""
      INSERT INTO auth.mfa_challenges (token_hash, user_id, password_version, expires_at, ip) VALUES
        (sha256(convert_to('challenge-live' || $1::text, 'UTF8')), $1, 1, now() + interval '5 minutes', 'challenge-live'),
        (sha256(convert_to('challenge-expired-10min' || $1::text, 'UTF8')), $1, 1, now() - interval '10 minutes', 'challenge-expired-10min'),
        (sha256(convert_to('challenge-expired-2h' || $1::text, 'UTF8')), $1, 1, now() - interval '2 hours', 'challenge-expired-2h')
      """, rows -> null, user);
    auth.query("""
      INSERT INTO auth.passkey_challenges (id, challenge_hash, expires_at) VALUES
        ($1, sha256(convert_to('passkey-live', 'UTF8')), now() + interval '5 minutes'),
        ($2, sha256(convert_to('passkey-expired-10min', 'UTF8')), now() - interval '10 minutes'),
        ($3, sha256(convert_to('passkey-expired-2h', 'UTF8')), now() - interval '2 hours')
      """, rows -> null, passkeyLive, passkeyExpired10min, passkeyExpired2h);
    MeterRegistry metrics = new SimpleMeterRegistry();

    List<RuleRun> runs = runRetention(metrics);

    assertThat(runs).extracting(RuleRun::table)
      .containsExactly("auth.retired_refresh_tokens", "auth.sessions", "auth.applied_user_notices", "auth.mfa_challenges",
        "auth.passkey_challenges", "auth.audit_events");
    assertThat(runs).allSatisfy(run -> assertThat(run.result()).isEqualTo(Result.DONE));
    assertThat(strings("SELECT username AS v FROM auth.sessions WHERE user_id = $1 ORDER BY username", user))
      .as("ended or revoked more than the access-token lifetime and 5 minutes ago: gone")
      .containsExactly("idle-10min", "live", "revoked-1min");
    assertThat(strings("SELECT encode(r.hash, 'escape') AS v FROM auth.retired_refresh_tokens r JOIN auth.sessions s"
      + " ON s.id = r.session_id WHERE s.user_id = $1", user)).containsExactly("retired-29d");
    assertThat(strings("SELECT event_id::text AS v FROM auth.applied_user_notices WHERE user_id = $1", user))
      .containsExactly("900000002");
    assertThat(strings("SELECT request_id AS v FROM auth.audit_events WHERE user_id = $1", user)).containsExactly("audit-89d");
    assertThat(strings("SELECT ip AS v FROM auth.mfa_challenges WHERE user_id = $1 ORDER BY ip", user))
      .as("expired more than an hour ago: gone").containsExactly("challenge-expired-10min", "challenge-live");
    assertThat(strings("SELECT id::text AS v FROM auth.passkey_challenges WHERE id IN ($1, $2, $3) ORDER BY created_at, id",
      passkeyLive, passkeyExpired10min, passkeyExpired2h))
      .as("expired more than an hour ago: gone").containsExactlyInAnyOrder(passkeyLive.toString(), passkeyExpired10min.toString());
    assertThat(runs.get(0).deleted()).as("retired-31d; the idle session's went with its session").isEqualTo(1);
    assertThat(runs.get(1).deleted()).as("idle-1d, ended-1d, revoked-1h: each once").isEqualTo(3);
    assertThat(metrics.get("latchkey.retention.deleted").tag("table", "auth.sessions").counter().count()).isEqualTo(3.0);
  }

  private void session(UUID user, String name, String refreshExpiresAt, String expiresAt, String revokedAt) {
    auth.query("""
      INSERT INTO auth.sessions (id, user_id, username, roles, password_version, current_hash, refresh_expires_at, expires_at, revoked_at)
      VALUES (gen_random_uuid(), $1, $2, ARRAY['user'], 1, sha256(convert_to($2 || $1::text, 'UTF8')), %s, %s, %s)"""
      .formatted(refreshExpiresAt, expiresAt, revokedAt == null ? "NULL" : revokedAt), rows -> null, user, name);
  }

  private void retired(UUID user, String session, String hash, String retiredAt) {
    auth.query("""
      INSERT INTO auth.retired_refresh_tokens (hash, session_id, retired_at)
      SELECT convert_to($3, 'UTF8'), id, %s FROM auth.sessions WHERE user_id = $1 AND username = $2""".formatted(retiredAt),
      rows -> null, user, session, hash);
  }

  private List<String> strings(String sql, Object... params) {
    return auth.query(sql, rows -> {
      List<String> out = new ArrayList<>();
      rows.forEach(row -> out.add(row.getString("v")));
      return out;
    }, params);
  }
}
