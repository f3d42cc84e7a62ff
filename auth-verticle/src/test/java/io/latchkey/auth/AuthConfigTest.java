package io.latchkey.auth;

import io.latchkey.auth.token.JwtKeys;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** AuthConfig: defaults, overrides, and what the production profile refuses. */
class AuthConfigTest {

  @TempDir
  Path dir;

  static AuthConfig config(Map<String, String> env) {
    // the launcher decides the profile from LATCHKEY_PROFILE and hands it in
    return AuthConfig.from(new Settings(new JsonObject(), env), Profile.parse(env.get("LATCHKEY_PROFILE")));
  }

  Map<String, String> production() {
    Map<String, String> env = new HashMap<>();
    env.put("LATCHKEY_PROFILE", "production");
    env.put("API_KEYS", "a-real-key");
    env.put("PASSWORD_CACHE_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    return env;
  }

  @Test
  void defaultsFollowTheContract() {
    AuthConfig c = config(Map.of("JWT_KEYS_DIR", dir.toString()));
    assertThat(c.httpPort()).isEqualTo(8082);
    assertThat(c.httpHost()).isEqualTo("0.0.0.0");
    assertThat(c.tokens().accessTokenTtl().toMinutes()).isEqualTo(15);
    assertThat(c.tokens().refreshTokenTtl().toDays()).isEqualTo(30);
    assertThat(c.tokens().sessionMaxLifetime().toDays()).isEqualTo(90);
    assertThat(c.tokens().refreshGrace().toSeconds()).isEqualTo(10);
    assertThat(c.profile()).isEqualTo(Profile.DEVELOPMENT);
    assertThat(Files.exists(dir.resolve(JwtKeys.PRIVATE_FILE))).as("development keys generated").isTrue();
    assertThat(c.refreshTokenSecret()).hasSize(32);
    assertThat(c.emailVerificationRequired()).as("EMAIL_VERIFICATION_REQUIRED defaults to false").isFalse();
  }

  @Test
  void overridesApply() {
    AuthConfig c = config(Map.of("JWT_KEYS_DIR", dir.toString(), "AUTH_HTTP_PORT", "9000", "ACCESS_TOKEN_TTL_SECONDS", "60",
      "REFRESH_GRACE_SECONDS", "0", "JWT_AUDIENCE", "api", "JWT_KEY_ID", "k1"));
    assertThat(c.httpPort()).isEqualTo(9000);
    assertThat(c.tokens().accessTokenTtl().toSeconds()).isEqualTo(60);
    assertThat(c.tokens().refreshGrace().isZero()).isTrue();
    assertThat(c.tokens().audience()).isEqualTo("api");
    assertThat(c.jwtKeys().signingKid()).isEqualTo("k1");
    assertThat(config(Map.of("JWT_KEYS_DIR", dir.toString(), "EMAIL_VERIFICATION_REQUIRED", "true")).emailVerificationRequired())
      .isTrue();
    assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "EMAIL_VERIFICATION_REQUIRED", "maybe")))
      .hasMessageContaining("EMAIL_VERIFICATION_REQUIRED");
    assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "REFRESH_GRACE_SECONDS", "-1")))
      .hasMessageContaining("REFRESH_GRACE_SECONDS");
  }

  @Test
  void productionRefusesToStartWithoutJwtKeys() {
    Map<String, String> env = production();
    env.put("REFRESH_TOKEN_SECRET", "x".repeat(40));
    assertThatThrownBy(() -> config(env)).hasMessageContaining("JWT_PRIVATE_KEY_FILE");
    env.put("JWT_KEYS_DIR", dir.resolve("empty").toString());
    assertThatThrownBy(() -> config(env)).hasMessageContaining("does not exist");
    assertThat(Files.exists(dir.resolve("empty").resolve(JwtKeys.PRIVATE_FILE))).as("never generated in production").isFalse();
  }

  @Test
  void productionRefusesToStartWithoutARefreshSecret() {
    JwtKeys.generateDevelopmentKeys(dir);
    Map<String, String> env = production();
    env.put("JWT_PRIVATE_KEY_FILE", dir.resolve(JwtKeys.PRIVATE_FILE).toString());
    assertThatThrownBy(() -> config(env)).hasMessageContaining("REFRESH_TOKEN_SECRET");
    env.put("REFRESH_TOKEN_SECRET", "too-short");
    assertThatThrownBy(() -> config(env)).hasMessageContaining("REFRESH_TOKEN_SECRET");
    env.put("REFRESH_TOKEN_SECRET", "x".repeat(40));
    assertThat(config(env).profile()).isEqualTo(Profile.PRODUCTION);
  }
}
