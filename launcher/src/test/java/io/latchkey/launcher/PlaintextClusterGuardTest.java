package io.latchkey.launcher;

import io.latchkey.common.ClusterSettings;
import io.latchkey.common.Profile;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The production profile refuses a cluster reachable from other hosts whose event bus has no TLS, unless told otherwise. */
class PlaintextClusterGuardTest {

  private static ClusterSettings on(String address) {
    return new ClusterSettings("c", List.of(address + ":5701"), 5701, address, 1, 5);
  }

  @Test
  void productionRefusesAPrivateInterfaceWithoutEventBusTls() {
    assertThatThrownBy(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.PRODUCTION, on("10.0.1.11"), null, Map.of()))
      .hasMessageContaining("HAZELCAST_INTERFACE=10.0.1.11").hasMessageContaining("EVENTBUS_TLS_KEYSTORE")
      .hasMessageContaining("LATCHKEY_ALLOW_PLAINTEXT_CLUSTER");
    assertThatThrownBy(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.PRODUCTION, on("0.0.0.0"), null, Map.of()))
      .as("every interface is not loopback").hasMessageContaining("HAZELCAST_INTERFACE=0.0.0.0");
    assertThatThrownBy(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.PRODUCTION, on("10.0.1.11"), null,
      Map.of("LATCHKEY_ALLOW_PLAINTEXT_CLUSTER", "false"))).hasMessageContaining("HAZELCAST_INTERFACE");
  }

  @Test
  void loopbackTheOverrideOrDevelopmentStart() {
    assertThatCode(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.PRODUCTION, on("127.0.0.1"), null, Map.of()))
      .doesNotThrowAnyException();
    assertThatCode(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.PRODUCTION, on("::1"), null, Map.of()))
      .doesNotThrowAnyException();
    assertThatCode(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.PRODUCTION, on("10.0.1.11"), null,
      Map.of("LATCHKEY_ALLOW_PLAINTEXT_CLUSTER", "true"))).doesNotThrowAnyException();
    assertThatCode(() -> LaunchConfiguration.refusePlaintextClusterInProduction(Profile.DEVELOPMENT, on("10.0.1.11"), null, Map.of()))
      .doesNotThrowAnyException();
  }
}
