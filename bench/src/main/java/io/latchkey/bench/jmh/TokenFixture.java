package io.latchkey.bench.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.auth.token.Revocations;
import io.latchkey.auth.token.TokenSettings;
import io.latchkey.common.ApiKeys;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The product's token classes on a fresh 2048-bit RSA key, as the auth service builds them. */
final class TokenFixture {

  final AccessTokens tokens;

  TokenFixture() {
    JwtKeys keys = JwtKeys.of("bench", JwtKeys.newSigningKey(JwsAlgorithm.RS256));
    tokens = new AccessTokens(keys, new TokenSettings("latchkey-auth", "latchkey", Duration.ofHours(1),
      Duration.ofDays(30), Duration.ofDays(90), Duration.ofSeconds(10)), Clock.systemUTC());
  }

  /** Revocations with nothing revoked, as a fresh auth node has them. */
  static Revocations noRevocations(Vertx vertx) {
    return new Revocations(vertx, new ApiKeys(List.of(ApiKeys.DEVELOPMENT_KEY), List.of(), ApiKeys.DEVELOPMENT_KEY),
      Duration.ofHours(1), Duration.ofSeconds(1), new SimpleMeterRegistry());
  }

  /** {@code count} live tokens of distinct users and sessions. */
  String[] liveTokens(int count) {
    long notAfter = System.currentTimeMillis() / 1000 + 86_400;
    String[] out = new String[count];
    for (int i = 0; i < count; i++) {
      out[i] = tokens.issue(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "user" + i, List.of("user"), 1, notAfter);
    }
    return out;
  }
}
