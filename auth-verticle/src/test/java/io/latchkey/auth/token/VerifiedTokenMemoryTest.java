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

  @Test
  void aRememberedTokensAnswersAreTheClaimsAnswersEncodedOnce() {
    VerifiedTokenMemory memory = new VerifiedTokenMemory(10);
    AccessClaims claims = new AccessClaims("iss", "aud", "user-1", "session-1", "jti-1", 100, Instant.now().getEpochSecond() + 60,
      List.of("user", "admin"), "Zoë \"quoted\"", 3, AccessClaims.PASSWORD_AND_OTP);
    memory.remember("x.y.z", claims);
    TokenCheck remembered = TokenCheck.valid(memory.get("x.y.z"));
    assertThat(remembered.validateBody()).isEqualTo(claims.toValidateJson().encode());
    assertThat(remembered.introspectionBody()).isEqualTo(claims.toIntrospectionJson().encode());
    assertThat(remembered.validateBody()).as("encoded once, then the same text").isSameAs(remembered.validateBody());
    assertThat(TokenCheck.valid(memory.get("x.y.z")).introspectionBody()).isSameAs(remembered.introspectionBody());

    TokenCheck direct = TokenCheck.valid(claims);
    assertThat(direct.validateBody()).isEqualTo(claims.toValidateJson().encode());
    assertThat(direct.introspectionBody()).isEqualTo(claims.toIntrospectionJson().encode());
    for (TokenCheck.Reason reason : TokenCheck.Reason.values()) {
      TokenCheck invalid = TokenCheck.invalid(reason);
      assertThat(invalid.validateBody()).isEqualTo(invalid.toValidateJson().encode());
      assertThat(invalid.introspectionBody()).isEqualTo("{\"active\":false}");
    }
  }

  @Test
  void aMemoryTurnedOffStillHandsBackTheEntry() {
    VerifiedTokenMemory off = new VerifiedTokenMemory(0);
    AccessClaims claims = claims(Instant.now().getEpochSecond() + 60);
    assertThat(off.remember("a.b.c", claims).claims()).isSameAs(claims);
    assertThat(off.get("a.b.c")).isNull();
  }
}
