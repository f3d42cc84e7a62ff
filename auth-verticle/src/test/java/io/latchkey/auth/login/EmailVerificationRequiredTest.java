package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicInteger;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * EMAIL_VERIFICATION_REQUIRED=true: the right password for an unverified address is 403
 * email_not_verified, a wrong one the usual 401; a verification (which sends no notice) is seen
 * even when the cache still holds the unverified entry. (With the default, false, an unverified
 * address logs in: AccountLifecycleTest.)
 */
@Timeout(120)
@AuthTest(settings = {"EMAIL_VERIFICATION_REQUIRED=true", "TRUSTED_PROXIES=127.0.0.1", "LOGIN_ACCOUNT_MAX_FAILURES=3"})
class EmailVerificationRequiredTest {

  private static final AtomicInteger nextIp = new AtomicInteger(1);
  private final AuthFixture auth;

  EmailVerificationRequiredTest(AuthFixture auth) {
    this.auth = auth;
  }

  HttpResponse<Buffer> login(String login, String password) {
    int n = nextIp.getAndIncrement();
    return auth.loginFrom(0, "192.0.2." + (n % 250 + 1), login, password);
  }

  @Test
  void theRightPasswordForAnUnverifiedAddressIs403AndAWrongOne401() {
    Credentials user = auth.users.addUnique("vera", "veras long password");

    assertProblem(login(user.username(), "veras long password"), 403, "email_not_verified");
    assertProblem(login(user.username(), "not her password"), 401, "invalid_credentials");
    // the right password is not a failure: more of them than the lockout limit stay 403, never 429
    for (int i = 0; i < 4; i++) {
      assertProblem(login(user.email(), "veras long password"), 403, "email_not_verified");
    }
    assertThat(auth.sessionIds(user.userId())).isEmpty();
  }

  @Test
  void aVerificationIsSeenThoughTheCacheStillSaysUnverified() {
    Credentials user = auth.users.addUnique("vito", "vitos long password");
    assertProblem(login(user.username(), "vitos long password"), 403, "email_not_verified");
    assertThat(await(auth.passwordCache(0).peek(user.userId())).credentials().emailVerified()).as("cached unverified").isFalse();

    auth.users.verifyEmail(user.userId());

    HttpResponse<Buffer> response = login(user.username(), "vitos long password");
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(await(auth.passwordCache(0).peek(user.userId())).credentials().emailVerified()).as("cached verified").isTrue();
  }

  @Test
  void aCachedUnverifiedEntryIsNotAnsweredWhileTheUserServiceIsDown() {
    Credentials user = auth.users.addUnique("vlad", "vlads long password");
    assertProblem(login(user.username(), "vlads long password"), 403, "email_not_verified");
    auth.users.verifyEmail(user.userId());

    await(auth.users.stop());
    try {
      assertProblem(login(user.username(), "vlads long password"), 503, "user_service_unavailable");
    } finally {
      await(auth.users.start());
    }
    assertThat(login(user.username(), "vlads long password").statusCode()).isEqualTo(200);
  }

  @Test
  void aVerifiedAddressLogsIn() {
    Credentials user = auth.users.addUnique("viki", "vikis long password");
    auth.users.verifyEmail(user.userId());

    assertThat(login(user.username(), "vikis long password").statusCode()).isEqualTo(200);
  }
}
