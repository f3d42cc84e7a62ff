package io.latchkey.launcher;

import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.user.UserConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The production profile refuses to send account-takeover tokens in clear text to an SMTP server on another host. */
class ClearTextMailGuardTest {

  private static UserConfig mail(String host, String startTls) {
    return UserConfig.from(new Settings(null, Map.of("SMTP_HOST", host, "SMTP_STARTTLS", startTls)));
  }

  @Test
  void productionRefusesOptionalOrNoStartTlsTowardsAnotherHost() {
    assertThatThrownBy(() -> LaunchConfiguration.refuseClearTextMailInProduction(Profile.PRODUCTION, mail("smtp.example.com", "optional")))
      .hasMessageContaining("SMTP_STARTTLS=optional").hasMessageContaining("SMTP_HOST=smtp.example.com");
    assertThatThrownBy(() -> LaunchConfiguration.refuseClearTextMailInProduction(Profile.PRODUCTION, mail("10.0.0.25", "off")))
      .hasMessageContaining("SMTP_STARTTLS=off");
  }

  @Test
  void requiredTlsALocalRelayOrDevelopmentStart() {
    assertThatCode(() -> LaunchConfiguration.refuseClearTextMailInProduction(Profile.PRODUCTION, mail("smtp.example.com", "required")))
      .doesNotThrowAnyException();
    assertThatCode(() -> LaunchConfiguration.refuseClearTextMailInProduction(Profile.PRODUCTION, mail("127.0.0.1", "off")))
      .doesNotThrowAnyException();
    assertThatCode(() -> LaunchConfiguration.refuseClearTextMailInProduction(Profile.PRODUCTION, mail("localhost", "optional")))
      .doesNotThrowAnyException();
    assertThatCode(() -> LaunchConfiguration.refuseClearTextMailInProduction(Profile.DEVELOPMENT, mail("smtp.example.com", "off")))
      .doesNotThrowAnyException();
  }
}
