package io.latchkey.auth.token;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class VerifiedTokenMemoryTest {

  static AccessClaims claims(long exp) {
    return new AccessClaims("i", "a", "u", "s", "j", 0, exp, List.of("user"), "n", 0);
  }

  @Test
  void remembersExactlyTheSameTokenString() {
    VerifiedTokenMemory memory = new VerifiedTokenMemory(10);
    long exp = Instant.now().getEpochSecond() + 60;
    memory.remember("a.b.c", claims(exp));
    assertThat(memory.get("a.b.c")).isNotNull();
    assertThat(memory.get("a.b.d")).isNull();
    assertThat(memory.hits()).isEqualTo(1);
    assertThat(memory.misses()).isEqualTo(1);
  }

  @Test
  void staysWithinItsBoundDroppingExpiredEntriesFirst() {
    VerifiedTokenMemory memory = new VerifiedTokenMemory(100);
    long live = Instant.now().getEpochSecond() + 60;
    memory.remember("keep", claims(live));
    for (int i = 0; i < 99; i++) {
      memory.remember("expired-" + i, claims(1));
    }
    memory.remember("one-more", claims(live));
    assertThat(memory.size()).isLessThanOrEqualTo(100);
    assertThat(memory.get("keep")).as("live entries survive while expired ones can go").isNotNull();
    for (int i = 0; i < 1000; i++) {
      memory.remember("live-" + i, claims(live));
    }
    assertThat(memory.size()).isLessThanOrEqualTo(100);
  }
}
