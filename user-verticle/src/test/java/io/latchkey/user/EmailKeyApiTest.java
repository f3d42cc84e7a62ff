package io.latchkey.user;

import io.latchkey.common.LoginKeys;
import io.latchkey.user.repo.EmailKeyFill;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/** Emails are unique and found by the one key Java computes ({@link LoginKeys}), stored in users.email_key. */
@UserServiceTest
class EmailKeyApiTest {

  private static final String PASSWORD = "a long passphrase 42";
  private final UserServiceFixture f;

  EmailKeyApiTest(UserServiceFixture f) {
    this.f = f;
  }

  private HttpResponse<Buffer> register(String username, String email) {
    return f.send(HttpMethod.POST, "/users", new JsonObject().put("username", username).put("email", email).put("password", PASSWORD),
      Map.of());
  }

  private HttpResponse<Buffer> byEmail(String email) {
    return f.send(HttpMethod.GET, "/users/by-email/" + URLEncoder.encode(email, StandardCharsets.UTF_8).replace("+", "%20"), null, key());
  }

  @Test
  void greekFinalSigmaIsOneAddressForUniquenessLookupAndLogin() {
    JsonObject user = f.register("odysseus", "ὀδυσσεύς@example.com", PASSWORD);
    assertProblem(register("odysseus2", "ὀδυσσεύσ@example.com"), 409, "email_taken");
    assertProblem(register("odysseus3", "ὈΔΥΣΣΕΎΣ@EXAMPLE.COM"), 409, "email_taken");
    for (String spelling : new String[] {"ὀδυσσεύσ@example.com", "ὈΔΥΣΣΕΎΣ@example.com", "ὀδυσσεύς@example.com"}) {
      HttpResponse<Buffer> found = byEmail(spelling);
      assertThat(found.statusCode()).as(spelling).isEqualTo(200);
      assertThat(found.bodyAsJsonObject().getString("id")).isEqualTo(user.getString("id"));
      HttpResponse<Buffer> verified = f.send(HttpMethod.POST, "/users/verify-credentials",
        new JsonObject().put("login", spelling).put("password", PASSWORD), key());
      assertThat(verified.statusCode()).as(spelling).isEqualTo(200);
    }
    assertThat(f.userRow(user.getString("id")).get("email_key")).isEqualTo(LoginKeys.of("ὀδυσσεύς@example.com"));
  }

  @Test
  void dotlessISharpSAndDottedCapitalI() {
    f.register("alice_tr", "alice@turkish.example", PASSWORD);
    assertProblem(register("alice_tr2", "alıce@turkish.example"), 409, "email_taken");
    assertThat(byEmail("ALIce@TURKISH.example").statusCode()).isEqualTo(200);

    f.register("strasse", "straße@example.de", PASSWORD);
    assertProblem(register("strasse2", "strasse@example.de"), 409, "email_taken");
    assertProblem(register("strasse3", "STRASSE@example.de"), 409, "email_taken");
    assertThat(byEmail("strasse@example.de").bodyAsJsonObject().getString("username")).isEqualTo("strasse");

    // İ folds to i + combining dot, which is a different address from a plain i
    f.register("info_plain", "info@dotted.example", PASSWORD);
    JsonObject dotted = f.register("info_dotted", "İnfo@dotted.example", PASSWORD);
    assertThat(byEmail("i\u0307nfo@dotted.example").bodyAsJsonObject().getString("id")).isEqualTo(dotted.getString("id"));
  }

  @Test
  void anEmailChangeMovesTheKeyAndFreesTheOldOne() {
    JsonObject owner = f.userWithToken("mover");
    String id = owner.getJsonObject("user").getString("id");
    HttpResponse<Buffer> moved = f.send(HttpMethod.PUT, "/users/" + id, new JsonObject().put("email", "Σίσυφος@example.com")
        .put("currentPassword", "correct horse mover"),
      bearer(owner.getString("token")));
    assertThat(moved.statusCode()).as(moved.bodyAsString()).isEqualTo(200);
    assertThat(f.userRow(id).get("email_key")).isEqualTo(LoginKeys.of("σίσυφοσ@example.com"));
    assertThat(byEmail("σίσυφοσ@example.com").bodyAsJsonObject().getString("id")).isEqualTo(id);
    assertThat(byEmail("mover@example.com").statusCode()).isEqualTo(404);
    assertThat(register("mover_again", "MOVER@example.com").statusCode()).isEqualTo(201);
    assertProblem(register("sisyphus", "ΣΊΣΥΦΟΣ@example.com"), 409, "email_taken");
  }

  @Test
  void rowsWithoutAKeyGetJavasKeyAtStartAndAConflictStaysEmpty() {
    UUID legacy = UUID.randomUUID();
    UUID clash = UUID.randomUUID();
    f.register("keyed_first", "πέτροσ@legacy.example", PASSWORD);
    f.rows("INSERT INTO users.users (id, username, email, password_hash) VALUES (?, 'legacy_one', 'ΓΙΏΡΓΟΣ@legacy.example', 'x') RETURNING id", legacy);
    f.rows("INSERT INTO users.users (id, username, email, password_hash) VALUES (?, 'legacy_two', 'πέτρος@legacy.example', 'x') RETURNING id", clash);

    int keyed = EmailKeyFill.fill(f.database);

    assertThat(keyed).isEqualTo(1);
    assertThat(f.userRow(legacy.toString()).get("email_key")).isEqualTo(LoginKeys.of("γιώργοσ@legacy.example"));
    assertThat(byEmail("γιώργος@legacy.example").bodyAsJsonObject().getString("username")).isEqualTo("legacy_one");
    assertThat(f.userRow(clash.toString()).get("email_key")).isNull();
    assertThat(EmailKeyFill.fill(f.database)).isZero();
  }
}
