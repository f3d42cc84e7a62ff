package io.latchkey.user;

import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.TestMailServer.Mail;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Two user nodes on one database sweep one mail outbox: every mail is sent once, by one of them. */
@UserServiceTest(nodes = 2, services = 2, settings = {"MAIL_SWEEP_MS=50"})
class MailAcrossNodesTest {

  private final UserServiceFixture first;
  private final UserServiceFixture second;

  MailAcrossNodesTest(UserServiceFixture first, @OnNode(1) UserServiceFixture second) {
    this.first = first;
    this.second = second;
  }

  @Test
  void everyMailOfTwoBusyNodesIsSentExactlyOnce() {
    // the server is down while the mails pile up, so both nodes' sweeps meet the same backlog
    first.mail.down();
    int users = 24;
    try {
      List<CompletableFuture<JsonObject>> registered = new java.util.ArrayList<>();
      for (int i = 0; i < users; i++) {
        UserServiceFixture node = i % 2 == 0 ? first : second;
        int n = i;
        registered.add(CompletableFuture.supplyAsync(() -> node.register("twin_" + n, "twin" + n + "@example.com", "twin's passphrase " + n)));
      }
      registered.forEach(CompletableFuture::join);
      for (int i = 0; i < users; i++) {
        first.send(HttpMethod.POST, "/users/password-reset", new JsonObject().put("email", "twin" + i + "@example.com"), Map.of());
      }
    } finally {
      first.mail.up();
    }
    for (int i = 0; i < users; i++) {
      first.mail.await("twin" + i + "@example.com", "Confirm your email address", 1, 20_000);
      first.mail.await("twin" + i + "@example.com", "Reset your password", 1, 20_000);
    }
    // bounded wait: no second copy arrives from the other node
    first.rows("SELECT pg_sleep(1)");
    for (int i = 0; i < users; i++) {
      List<Mail> mails = first.mail.to("twin" + i + "@example.com");
      assertThat(mails).as("mails of twin" + i).hasSize(2);
    }
    assertThat(first.rows("SELECT 1 FROM users.mail_outbox WHERE done_at IS NULL")).isEmpty();
  }
}
