package io.latchkey.user;

import io.latchkey.common.DbConfig;
import io.latchkey.common.NodeState;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.testing.TestPostgres;
import io.latchkey.user.testing.UserServiceFixture;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CORS_ALLOWED_ORIGINS as the start reads it: its profile defaults, the values it refuses, and
 * a service with an empty setting, which has no CORS at all (Vert.x's handler without origins
 * would allow every origin).
 */
@ExtendWith(VertxExtension.class)
class CorsSettingsTest {

  private static UserConfig config(Map<String, String> env, Profile profile) {
    Map<String, String> all = new HashMap<>(env);
    // the production profile needs its MFA key; the value does not matter here
    all.put("MFA_SECRET_KEY", Base64.getEncoder().encodeToString(new byte[32]));
    return UserConfig.from(new Settings(null, all), profile);
  }

  @Test
  void theDevelopmentProfileAllowsTheLocalAuthServiceAndProductionNothing() {
    assertThat(config(Map.of(), Profile.DEVELOPMENT).cors().allowedOrigins()).containsExactly("http://localhost:8082");
    assertThat(config(Map.of(), Profile.PRODUCTION).cors().allowedOrigins()).isEmpty();
    assertThat(config(Map.of(), Profile.PRODUCTION).cors().handler()).isNull();
  }

  @Test
  void aListIsReadInEitherProfile() {
    Map<String, String> env = Map.of("CORS_ALLOWED_ORIGINS", " https://id.example.com , http://[::1]:8082,https://account.example.com:8443 ");
    for (Profile profile : Profile.values()) {
      assertThat(config(env, profile).cors().allowedOrigins()).as(profile.name())
        .containsExactly("https://id.example.com", "http://[::1]:8082", "https://account.example.com:8443");
    }
  }

  @Test
  void anEmptyValueInTheConfFileTurnsItOffInDevelopment() {
    UserConfig config = UserConfig.from(new Settings(new JsonObject().put("corsAllowedOrigins", ""), Map.of()));
    assertThat(config.cors().enabled()).isFalse();
    assertThat(config.cors().handler()).isNull();
  }

  @Test
  void whatIsNotAnExactOriginIsRefusedAtStartNamingTheSetting() {
    List<String> refused = List.of("*", "http://127.0.0.1:8082/", "http://127.0.0.1:8082/account", "127.0.0.1:8082", "localhost:8082",
      "//127.0.0.1:8082", "ftp://127.0.0.1", "http://127.0.0.1:8082?x=1", "http://127.0.0.1:8082#x", "http://user@127.0.0.1:8082",
      "null", "https://id.example.com:443", "http://id.example.com:80", "HTTPS://id.example.com", "https://id.example.com, *");
    for (String value : refused) {
      assertThatThrownBy(() -> config(Map.of("CORS_ALLOWED_ORIGINS", value), Profile.PRODUCTION)).as(value)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid setting CORS_ALLOWED_ORIGINS");
    }
  }

  @Test
  void aServiceWithAnEmptySettingAnswersTheListedOriginWithoutCorsHeaders(Vertx vertx) {
    DbConfig db = TestPostgres.freshDatabase();
    UserModule module = await(UserModule.deploy(vertx, null,
      UserServiceFixture.config(db, Map.of(), new JsonObject().put("corsAllowedOrigins", "")), UserServiceFixture.KEYS,
      new NodeState("cors-off"), 1), 60);
    WebClient client = WebClient.create(vertx);
    try {
      HttpResponse<Buffer> preflight = await(client.request(io.vertx.core.http.HttpMethod.OPTIONS, module.httpPort(), "127.0.0.1",
        "/users/password-reset").putHeader("Origin", "http://localhost:8082").putHeader("Access-Control-Request-Method", "POST").send());
      assertThat(preflight.statusCode()).isEqualTo(405);
      assertThat(preflight.getHeader("Access-Control-Allow-Origin")).isNull();

      HttpResponse<Buffer> call = await(client.get(module.httpPort(), "127.0.0.1", "/health/live")
        .putHeader("Origin", "http://localhost:8082").send());
      assertThat(call.statusCode()).isEqualTo(200);
      assertThat(call.headers().names()).noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
    } finally {
      client.close();
      await(module.undeploy());
    }
  }
}
