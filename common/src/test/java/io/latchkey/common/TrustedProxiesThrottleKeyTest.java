package io.latchkey.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TrustedProxiesThrottleKeyTest {

  @Test
  void anIpv6ClientCountsPerSlash64() {
    String key = TrustedProxies.throttleKey("2001:db8:1:2::1");
    assertThat(key).isEqualTo("2001:db8:1:2::/64");
    assertThat(TrustedProxies.throttleKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).isEqualTo(key);
    assertThat(TrustedProxies.throttleKey("[2001:0db8:0001:0002:abcd::7]")).isEqualTo(key);
    assertThat(TrustedProxies.throttleKey("2001:db8:1:3::1")).isNotEqualTo(key);
  }

  @Test
  void anIpv4ClientCountsPerAddressAndMappedIpv4IsIpv4() {
    assertThat(TrustedProxies.throttleKey("203.0.113.5")).isEqualTo("203.0.113.5");
    assertThat(TrustedProxies.throttleKey("::ffff:203.0.113.5")).isEqualTo("203.0.113.5");
    assertThat(TrustedProxies.throttleKey("203.0.113.6")).isNotEqualTo("203.0.113.5");
  }

  @Test
  void somethingThatIsNotAnIpStaysAsItIs() {
    assertThat(TrustedProxies.throttleKey("unknown")).isEqualTo("unknown");
    assertThat(TrustedProxies.throttleKey(null)).isEqualTo("unknown");
  }
}
