package io.latchkey.user.mail;

import io.latchkey.user.mail.MailTemplates.Rendered;
import io.latchkey.user.repo.MailOutboxRepository.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MailTemplatesTest {

  private static Map<String, String> values(String username, String link) {
    Map<String, String> values = new HashMap<>();
    values.put("username", username);
    values.put("email", "x@example.com");
    values.put("link", link);
    values.put("validFor", "30 minutes");
    return values;
  }

  @Test
  void theBuiltInTemplatesHaveASubjectTheLinkAndEscapedHtml() {
    MailTemplates templates = MailTemplates.load("");
    Rendered reset = templates.render(Kind.PASSWORD_RESET, values("<b>eve</b>", "https://id.example/r#token=abc&x=1"));
    assertThat(reset.subject()).isEqualTo("Reset your password");
    assertThat(reset.text()).contains("<b>eve</b>").contains("https://id.example/r#token=abc&x=1").contains("30 minutes");
    assertThat(reset.html()).contains("&lt;b&gt;eve&lt;/b&gt;").doesNotContain("<b>eve</b>")
      .contains("href=\"https://id.example/r#token=abc&amp;x=1\"");
    for (Kind kind : new Kind[] {Kind.VERIFY_EMAIL, Kind.EMAIL_CHANGED}) {
      assertThat(templates.render(kind, values("eve", "l")).subject()).isNotBlank();
    }
  }

  @Test
  void aValueIsNeverSearchedForPlaceholders() {
    Rendered verify = MailTemplates.load("").render(Kind.VERIFY_EMAIL, values("{link}", "THE-LINK"));
    assertThat(verify.text()).contains("Hello {link},").containsOnlyOnce("THE-LINK");
  }

  @Test
  void anOperatorsDirectoryReplacesTheBuiltInOnesAndABrokenOneRefusesToLoad(@TempDir Path dir) throws IOException {
    for (String name : new String[] {"verify-email", "email-changed", "password-reset"}) {
      Files.writeString(dir.resolve(name + ".txt"), "Subject: Ours: " + name + "\n\nGo to {link} now, {unknown} stays.\n");
      Files.writeString(dir.resolve(name + ".html"), "<p><a href=\"{link}\">{username}</a></p>");
    }
    Rendered rendered = MailTemplates.load(dir.toString()).render(Kind.PASSWORD_RESET, values("eve", "L"));
    assertThat(rendered.subject()).isEqualTo("Ours: password-reset");
    assertThat(rendered.text()).isEqualTo("Go to L now, {unknown} stays.\n");
    assertThat(rendered.html()).isEqualTo("<p><a href=\"L\">eve</a></p>");

    Files.writeString(dir.resolve("verify-email.txt"), "no subject line\n\nbody");
    assertThatThrownBy(() -> MailTemplates.load(dir.toString())).hasMessageContaining("Subject:");
    Files.delete(dir.resolve("verify-email.txt"));
    assertThatThrownBy(() -> MailTemplates.load(dir.toString())).hasMessageContaining("verify-email.txt");
  }
}
