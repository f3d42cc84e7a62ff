package io.latchkey.common;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiKeysTest {

  private final ApiKeys keys = new ApiKeys(List.of("full-one", "full-two"), List.of("relying"), null);

  @Test
  void everyConfiguredKeyHasItsScopeAndNothingElseHasAny() {
    assertThat(keys.scopeOf("full-one")).contains(ApiKeys.Scope.FULL);
    assertThat(keys.scopeOf("full-two")).contains(ApiKeys.Scope.FULL);
    assertThat(keys.scopeOf("relying")).contains(ApiKeys.Scope.VALIDATE);
    assertThat(keys.scopeOf("full-on")).isEqualTo(Optional.empty());
    assertThat(keys.scopeOf("full-one ")).isEmpty();
    assertThat(keys.scopeOf("")).isEmpty();
    assertThat(keys.scopeOf(null)).isEmpty();
    assertThat(keys.isFull("relying")).as("a validate-only key is not a full key").isFalse();
    assertThat(keys.canValidate("relying")).isTrue();
  }

  @Test
  void theOutgoingKeyIsApiKeyOrElseTheFirstFullKey() {
    assertThat(keys.outgoing()).isEqualTo("full-one");
    assertThat(new ApiKeys(List.of("a", "b"), List.of(), "b").outgoing()).isEqualTo("b");
  }

  @Test
  void theEnvironmentGivesRotationListsAndTheDevelopmentKeyOnlyOutsideProduction() {
    ApiKeys fromEnv = ApiKeys.fromEnvironment(Map.of("API_KEYS", " k1 , k2,,", "API_KEYS_VALIDATE", "v1"), Profile.PRODUCTION);
    assertThat(fromEnv.isFull("k1")).isTrue();
    assertThat(fromEnv.isFull("k2")).isTrue();
    assertThat(fromEnv.canValidate("v1")).isTrue();

    assertThat(ApiKeys.fromEnvironment(Map.of(), Profile.DEVELOPMENT).usesDevelopmentKey()).isTrue();
    assertThatThrownBy(() -> ApiKeys.fromEnvironment(Map.of(), Profile.PRODUCTION)).hasMessageContaining("API_KEYS");
    assertThatThrownBy(() -> ApiKeys.fromEnvironment(Map.of("API_KEYS", ApiKeys.DEVELOPMENT_KEY), Profile.PRODUCTION))
      .hasMessageContaining("development");
  }

  @Test
  void aFingerprintNamesAKeyWithoutRevealingIt() {
    String fingerprint = ApiKeys.fingerprint("a-secret-key-value");
    assertThat(fingerprint).startsWith("key:").hasSize(12).doesNotContain("secret");
    assertThat(ApiKeys.fingerprint("a-secret-key-value")).isEqualTo(fingerprint);
    assertThat(ApiKeys.fingerprint("another-key")).isNotEqualTo(fingerprint);
  }
}
