package io.latchkey.auth.cache;

import io.latchkey.common.bus.Credentials;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A cache entry carries the user's second factors; one written before they existed is a miss, never "none". */
class CachedCredentialsTest {

  private static final Credentials USER = new Credentials("9d3c1f8e-2b1a-4c5d-8e7f-0a1b2c3d4e5f", "alice", "alice@example.com",
    List.of("user"), "$2a$04$abcdefghijklmnopqrstuu", 2, Instant.parse("2026-11-30T10:00:00.123456Z"), true, false);

  @Test
  void anEntryRoundTripsWithItsSecondFactors() {
    CachedCredentials withTotp = new CachedCredentials(USER.withMfa(List.of(Credentials.TOTP)), Instant.parse("2026-11-30T10:01:00Z"));
    CachedCredentials without = new CachedCredentials(USER, Instant.parse("2026-11-30T10:01:00Z"));

    assertThat(CachedCredentials.fromJson(new JsonObject(withTotp.toJson().encode()))).isEqualTo(withTotp);
    assertThat(CachedCredentials.fromJson(new JsonObject(withTotp.toJson().encode())).credentials().secondFactorRequired()).isTrue();
    assertThat(CachedCredentials.fromJson(new JsonObject(without.toJson().encode())).credentials().secondFactorRequired()).isFalse();
  }

  @Test
  void anEntryWrittenByAnOlderNodeWithoutTheFieldIsAMiss() {
    JsonObject older = new CachedCredentials(USER, Instant.parse("2026-11-30T10:01:00Z")).toJson();
    older.remove("mfa");

    assertThat(CachedCredentials.fromJson(older)).isNull();
    assertThat(CachedCredentials.fromJson(older.copy().put("mfa", (Object) null))).isNull();
  }
}
