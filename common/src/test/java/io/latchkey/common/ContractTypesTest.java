package io.latchkey.common;

import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.PasskeyCheck;
import io.latchkey.common.bus.UserNotice;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shapes both services rely on survive their wire form, and configuration fails loudly. */
class ContractTypesTest {

  @Test
  void anApiExceptionCrossesTheBusWithItsStatusCodeFieldsAndHeaders() {
    ApiException sent = ApiException.validation("email", "bad").withHeader("Retry-After", "3");
    ApiException received = ApiException.fromJson(new JsonObject(sent.toJson().encode()));
    assertThat(received.status()).isEqualTo(400);
    assertThat(received.code()).isEqualTo(ErrorCodes.VALIDATION_FAILED);
    assertThat(received.errors()).containsExactly(new ApiException.FieldError("email", "bad"));
    assertThat(received.headers()).containsEntry("Retry-After", "3");
  }

  @Test
  void noticesAndCredentialsRoundTrip() {
    UserNotice notice = new UserNotice(42, UserNotice.Type.PASSWORD_CHANGED, "u1", 3L, "s1",
      Instant.parse("2026-11-25T10:15:30.123456Z"));
    JsonObject wire = notice.toJson();
    assertThat(wire.getInteger("schemaVersion")).isEqualTo(UserNotice.SCHEMA_VERSION);
    assertThat(wire.getString("type")).isEqualTo("password_changed");
    assertThat(UserNotice.fromJson(wire)).isEqualTo(notice);
    assertThatThrownBy(() -> UserNotice.Type.fromWire("nonsense")).isInstanceOf(IllegalArgumentException.class);

    Credentials credentials = new Credentials("u1", "alice", "alice@example.com", List.of("user"), "$2a$04$x", 2,
      Instant.parse("2026-11-25T10:15:30Z"), true, true);
    assertThat(Credentials.fromJson(credentials.toJson())).isEqualTo(credentials);
    // a user service of the first release sends neither flag: verified and disabled read as false
    JsonObject older = credentials.toJson();
    older.remove("emailVerified");
    older.remove("disabled");
    assertThat(Credentials.fromJson(older).disabled()).isFalse();
    assertThat(Credentials.fromJson(older).emailVerified()).isFalse();
    for (UserNotice.Type type : UserNotice.Type.values()) {
      assertThat(UserNotice.Type.fromWire(type.wire())).isEqualTo(type);
    }
    // a second factor travels as its name only; an older user service sends none
    Credentials withTotp = credentials.withMfa(List.of(Credentials.TOTP));
    assertThat(withTotp.toJson().getJsonArray("mfa")).containsExactly("totp");
    assertThat(Credentials.fromJson(withTotp.toJson())).isEqualTo(withTotp);
    assertThat(withTotp.secondFactorRequired()).isTrue();
    assertThat(Credentials.fromJson(older).mfa()).isEmpty();
    assertThat(Credentials.fromJson(older).secondFactorRequired()).isFalse();
  }

  @Test
  void anMfaCheckRoundTripsAndNeverPrintsItsCode() {
    MfaCheck check = new MfaCheck("u1", 3, MfaCheck.Method.RECOVERY_CODE, "abcde-fghij");
    assertThat(MfaCheck.fromJson(new JsonObject(check.toJson().encode()))).isEqualTo(check);
    assertThat(check.toJson().getString("method")).isEqualTo("recovery_code");
    assertThat(check.toString()).doesNotContain("abcde");
    assertThatThrownBy(() -> MfaCheck.fromJson(new JsonObject().put("userId", "u1").put("passwordVersion", 1)
      .put("method", "sms").put("code", "1"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MfaCheck.fromJson(new JsonObject().put("userId", "u1").put("method", "totp").put("code", "1")))
      .isInstanceOf(IllegalArgumentException.class);

    Credentials user = new Credentials("u1", "alice", "alice@example.com", List.of("user"), "$2a$04$x", 3,
      Instant.parse("2026-11-25T10:15:30Z"), true, false, List.of("totp"));
    MfaCheck.Answer accepted = MfaCheck.Answer.accepted(user);
    assertThat(MfaCheck.Answer.fromJson(new JsonObject(accepted.toJson().encode()))).isEqualTo(accepted);
    assertThat(MfaCheck.Answer.fromJson(MfaCheck.Answer.rejected().toJson()).result()).isEqualTo(MfaCheck.Result.REJECTED);
    assertThat(MfaCheck.Answer.stale().toJson().encode()).isEqualTo("{\"result\":\"stale\"}");
    assertThatThrownBy(() -> new MfaCheck.Answer(MfaCheck.Result.ACCEPTED, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPasskeyCheckRoundTripsAndNeverPrintsTheAssertion() {
    JsonObject assertion = new JsonObject().put("id", "cred-1").put("type", "public-key")
      .put("response", new JsonObject().put("signature", "c2lnbmF0dXJl"));
    PasskeyCheck check = new PasskeyCheck("Y2hhbGxlbmdl", assertion);
    assertThat(PasskeyCheck.fromJson(new JsonObject(check.toJson().encode()))).isEqualTo(check);
    assertThat(check.toString()).contains("cred-1").doesNotContain("c2lnbmF0dXJl");
    assertThatThrownBy(() -> PasskeyCheck.fromJson(new JsonObject().put("challenge", 1).put("credential", assertion)))
      .isInstanceOf(IllegalArgumentException.class);

    Credentials user = new Credentials("u1", "alice", "alice@example.com", List.of("user"), "$2a$04$x", 1,
      Instant.parse("2026-11-25T10:15:30Z"), true, false);
    PasskeyCheck.Answer accepted = PasskeyCheck.Answer.accepted(user, "p1");
    assertThat(PasskeyCheck.Answer.fromJson(new JsonObject(accepted.toJson().encode()))).isEqualTo(accepted);
    PasskeyCheck.Answer rejected = PasskeyCheck.Answer.rejected("u1", "counter_regressed");
    assertThat(PasskeyCheck.Answer.fromJson(rejected.toJson())).isEqualTo(rejected);
    assertThat(PasskeyCheck.Answer.rejected(null, "unknown_credential").toJson().containsKey("userId")).isFalse();
    assertThatThrownBy(() -> new PasskeyCheck.Answer(PasskeyCheck.Result.REJECTED, null, null, "x", user))
      .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDatabaseUrlGivesEveryPartAndNeverLogsThePassword() {
    DbConfig db = DbConfig.fromUrl("postgres://app:s%40cret@db.internal:6543/identity", 5, 1500);
    assertThat(db.host()).isEqualTo("db.internal");
    assertThat(db.port()).isEqualTo(6543);
    assertThat(db.database()).isEqualTo("identity");
    assertThat(db.user()).isEqualTo("app");
    assertThat(db.password()).isEqualTo("s@cret");
    assertThat(db.describe()).doesNotContain("cret");
    assertThatThrownBy(() -> DbConfig.fromUrl("mysql://x/y", 1, 1)).hasMessageContaining("DATABASE_URL");
  }

  @Test
  void settingsPreferTheEnvironmentAndNameTheVariableThatIsWrong() {
    Settings settings = new Settings(new JsonObject().put("port", 1).put("flag", true), Map.of("PORT", "2", "BAD", "x"));
    assertThat(settings.integer("port", "PORT", 0, 1, 10)).isEqualTo(2);
    assertThat(settings.integer("port", "UNSET", 0, 1, 10)).isEqualTo(1);
    assertThat(settings.bool("flag", "UNSET", false)).isTrue();
    assertThatThrownBy(() -> settings.integer("other", "BAD", 0, 1, 10)).hasMessageContaining("BAD=x");
    assertThatThrownBy(() -> settings.integer("port", "PORT", 0, 5, 10)).hasMessageContaining("from 5 to 10");
  }

  @Test
  void requestIdsKeepASaneCallerValueAndReplaceAnythingElse() {
    assertThat(RequestIds.sanitize("abc-123_x.y:z")).isEqualTo("abc-123_x.y:z");
    assertThat(RequestIds.sanitize("bad value\r\nX-Injected: 1")).isNotEqualTo("bad value\r\nX-Injected: 1").hasSize(36);
    assertThat(RequestIds.sanitize("x".repeat(129))).hasSize(36);
    java.util.Set<String> fresh = new java.util.HashSet<>();
    for (int i = 0; i < 1000; i++) {
      java.util.UUID id = java.util.UUID.fromString(RequestIds.fresh());
      assertThat(id.version()).isEqualTo(4);
      assertThat(id.variant()).isEqualTo(2);
      fresh.add(id.toString());
    }
    assertThat(fresh).hasSize(1000);
    assertThat(RequestIds.sanitize(null)).hasSize(36);
  }
}
