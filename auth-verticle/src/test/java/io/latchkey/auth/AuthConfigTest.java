package io.latchkey.auth;

import io.latchkey.auth.token.JwsAlgorithm;
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
  void jwtAlgorithmPicksTheSigningKeyTypeAndAnythingElseIsRefusedNamingTheSetting() {
    assertThat(config(Map.of("JWT_KEYS_DIR", dir.toString())).jwtKeys().signingAlgorithm()).isEqualTo("RS256");
    AuthConfig eddsa = config(Map.of("JWT_KEYS_DIR", dir.toString(), "JWT_ALGORITHM", "EdDSA"));
    assertThat(eddsa.jwtKeys().signingAlgorithm()).isEqualTo("EdDSA");
    assertThat(eddsa.jwtKeys().verificationAlgorithms()).containsExactly("EdDSA");
    assertThat(Files.exists(dir.resolve("jwt-eddsa-private.pem"))).as("development Ed25519 keys generated beside the RSA ones").isTrue();
    for (String bad : java.util.List.of("ES256", "eddsa", "HS256", "none")) {
      assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "JWT_ALGORITHM", bad)))
        .hasMessage("invalid setting JWT_ALGORITHM=" + bad + " (expected RS256 or EdDSA)");
    }
    Map<String, String> env = production();
    env.put("REFRESH_TOKEN_SECRET", "x".repeat(40));
    env.put("JWT_ALGORITHM", "EdDSA");
    env.put("JWT_PRIVATE_KEY_FILE", dir.resolve(JwtKeys.PRIVATE_FILE).toString());
    assertThatThrownBy(() -> config(env)).as("an RSA key for EdDSA")
      .hasMessageContaining("is a key of type RSA, but JWT_ALGORITHM=EdDSA signs with Ed25519 keys");
    env.put("JWT_PRIVATE_KEY_FILE", dir.resolve("jwt-eddsa-private.pem").toString());
    env.put("JWT_PUBLIC_KEY_FILES", dir.resolve(JwtKeys.PUBLIC_FILE).toString());
    AuthConfig rotating = config(env);
    assertThat(rotating.jwtKeys().verificationAlgorithms()).as("a previous RSA key beside an Ed25519 signing key")
      .containsExactly("EdDSA", "RS256");
    assertThat(rotating.toString()).contains("jwtAlgorithm=EdDSA").doesNotContain("PRIVATE");
  }

  @Test
  void passkeySettingsDefaultToTheLocalRunAndRefuseOriginsOutsideTheRpId() {
    AuthConfig c = config(Map.of("JWT_KEYS_DIR", dir.toString()));
    assertThat(c.passkeys().rpId()).isEqualTo("localhost");
    assertThat(c.passkeys().origins()).containsExactly("http://localhost:8082");

    AuthConfig site = config(Map.of("JWT_KEYS_DIR", dir.toString(), "WEBAUTHN_RP_ID", "example.com",
      "WEBAUTHN_ORIGINS", "https://example.com, https://login.example.com:8443"));
    assertThat(site.passkeys().origins()).containsExactly("https://example.com", "https://login.example.com:8443");

    assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "WEBAUTHN_RP_ID", "example.com",
      "WEBAUTHN_ORIGINS", "https://notexample.com"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WEBAUTHN_ORIGINS");
    assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "WEBAUTHN_RP_ID", "example.com",
      "WEBAUTHN_ORIGINS", "https://example.com/login"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an origin");
    assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "WEBAUTHN_RP_ID", "https://example.com")))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WEBAUTHN_RP_ID");
    assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "WEBAUTHN_ORIGINS", " , ")))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WEBAUTHN_ORIGINS");
    // browsers refuse passkeys on an IP address: refused at start rather than by every browser later
    for (String ip : new String[] {"127.0.0.1", "10.1.2.3", "::1", "[::1]"}) {
      assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "WEBAUTHN_RP_ID", ip,
        "WEBAUTHN_ORIGINS", "http://127.0.0.1:8082"))).as(ip).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("WEBAUTHN_RP_ID");
    }
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
  void theIssuerIsThePublicUrlUnlessJwtIssuerIsSet() {
    AuthConfig defaults = config(Map.of("JWT_KEYS_DIR", dir.toString()));
    assertThat(defaults.publicUrl()).isEqualTo("http://127.0.0.1:8082");
    assertThat(defaults.tokens().issuer()).isEqualTo("http://127.0.0.1:8082");

    AuthConfig behindBalancer = config(Map.of("JWT_KEYS_DIR", dir.toString(), "PUBLIC_URL", "https://auth.example.com/latchkey"));
    assertThat(behindBalancer.publicUrl()).isEqualTo("https://auth.example.com/latchkey");
    assertThat(behindBalancer.tokens().issuer()).isEqualTo("https://auth.example.com/latchkey");

    AuthConfig explicit = config(Map.of("JWT_KEYS_DIR", dir.toString(), "PUBLIC_URL", "https://auth.example.com",
      "JWT_ISSUER", "latchkey-auth"));
    assertThat(explicit.tokens().issuer()).as("an explicit JWT_ISSUER wins").isEqualTo("latchkey-auth");
    assertThat(explicit.publicUrl()).isEqualTo("https://auth.example.com");
  }

  @Test
  void aPublicUrlThatIsNotAnAbsoluteHttpUrlStopsTheStart() {
    for (String bad : java.util.List.of("auth.example.com", "/auth", "ftp://auth.example.com", "https://", "http://:8082",
      "https://auth.example.com/?x=1", "https://auth.example.com/#top", "https://user:pw@auth.example.com", "http://exa mple.com",
      "HTTPS://auth.example.com", "https://auth.example.com?")) {
      assertThatThrownBy(() -> config(Map.of("JWT_KEYS_DIR", dir.toString(), "PUBLIC_URL", bad)))
        .as(bad).hasMessageContaining("invalid setting PUBLIC_URL");
    }
    for (String good : java.util.List.of("http://localhost:8082", "https://auth.example.com", "http://[::1]:8082/", "http://10.0.0.5")) {
      assertThat(config(Map.of("JWT_KEYS_DIR", dir.toString(), "PUBLIC_URL", good)).publicUrl()).isEqualTo(good);
    }
  }

  @Test
  void productionWantsHttpsUnlessThePublicUrlIsOnLoopback() throws Exception {
    Map<String, String> env = production();
    env.put("REFRESH_TOKEN_SECRET", "x".repeat(40));
    JwtKeys.generateDevelopmentKeys(JwsAlgorithm.RS256, dir);
    env.put("JWT_KEYS_DIR", dir.toString());
    env.put("PUBLIC_URL", "http://auth.example.com");
    assertThatThrownBy(() -> config(env)).hasMessageContaining("PUBLIC_URL").hasMessageContaining("https");
    env.put("PUBLIC_URL", "http://10.1.2.3:8082");
    assertThatThrownBy(() -> config(env)).hasMessageContaining("PUBLIC_URL");
    for (String fine : java.util.List.of("https://auth.example.com", "http://127.0.0.1:8082", "http://localhost:8082", "http://[::1]:8082")) {
      env.put("PUBLIC_URL", fine);
      assertThat(config(env).publicUrl()).isEqualTo(fine);
    }
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
    JwtKeys.generateDevelopmentKeys(JwsAlgorithm.RS256, dir);
    Map<String, String> env = production();
    env.put("JWT_PRIVATE_KEY_FILE", dir.resolve(JwtKeys.PRIVATE_FILE).toString());
    assertThatThrownBy(() -> config(env)).hasMessageContaining("REFRESH_TOKEN_SECRET");
    env.put("REFRESH_TOKEN_SECRET", "too-short");
    assertThatThrownBy(() -> config(env)).hasMessageContaining("REFRESH_TOKEN_SECRET");
    env.put("REFRESH_TOKEN_SECRET", "x".repeat(40));
    assertThat(config(env).profile()).isEqualTo(Profile.PRODUCTION);
  }
}
