package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/** MFA_TOKEN_TTL_SECONDS: an mfaToken older than it finishes nothing (the TTL is 1 s here). */
@Timeout(60)
@AuthTest(settings = "MFA_TOKEN_TTL_SECONDS=1")
class MfaTokenExpiryTest {

  private final AuthFixture auth;

  MfaTokenExpiryTest(AuthFixture auth) {
    this.auth = auth;
  }

  @Test
  void anExpiredTokenIsRefusedWithoutAskingTheUserService() {
    Credentials user = auth.users.addUnique("eva", "a long enough password");
    auth.users.enableTotp(user.userId());
    HttpResponse<Buffer> first = auth.login(0, user.username(), "a long enough password");
    JsonObject challenge = first.bodyAsJsonObject();
    assertThat(challenge.getLong("expiresIn")).as(challenge.encode()).isEqualTo(1);
    int checksBefore = auth.users.mfaChecks();

    // past the expiry (a Vert.x timer, not a sleep)
    await(Future.<Void>future(p -> auth.nodes.get(0).setTimer(1_500, id -> p.complete())));
    HttpResponse<Buffer> late = auth.postJson(0, "/auth/login/mfa", new JsonObject().put("mfaToken", challenge.getString("mfaToken"))
      .put("recoveryCode", auth.users.factor(user.userId()).recoveryCode(0)));

    assertProblem(late, 401, "invalid_mfa_token");
    assertThat(auth.users.mfaChecks()).isEqualTo(checksBefore);
    assertThat(auth.sessionIds(user.userId())).isEmpty();
  }
}
