package io.latchkey.common;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustedProxiesTest {

  @Test
  void matchesAddressesAndCidrBlocks() {
    TrustedProxies proxies = TrustedProxies.parse(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    assertThat(proxies.isTrusted("10.200.3.4")).isTrue();
    assertThat(proxies.isTrusted("11.0.0.1")).isFalse();
    assertThat(proxies.isTrusted("192.168.1.7")).isTrue();
    assertThat(proxies.isTrusted("192.168.1.8")).isFalse();
    assertThat(proxies.isTrusted("fd12::1")).isTrue();
    assertThat(proxies.isTrusted("fe80::1")).isFalse();
    assertThat(proxies.isTrusted("::ffff:10.1.2.3")).isTrue();
    assertThat(proxies.isTrusted("proxy.example.com")).isFalse();
  }

  @Test
  void nothingIsTrustedByDefault() {
    assertThat(TrustedProxies.parse(List.of()).isTrusted("127.0.0.1")).isFalse();
  }

  @Test
  void refusesWhatIsNotAnAddressOrBlock() {
    for (String bad : List.of("10.0.0.0/33", "example.com", "10.0.0.0/x", "1.2.3")) {
      assertThatThrownBy(() -> TrustedProxies.parse(List.of(bad))).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
