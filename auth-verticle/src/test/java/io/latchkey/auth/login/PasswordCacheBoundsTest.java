package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache is bounded: entries expire after PASSWORD_CACHE_TTL_SECONDS and each member keeps
 * at most about PASSWORD_CACHE_MAX_ENTRIES (Hazelcast enforces it per partition, with a floor
 * of one entry per partition: {@link ClusterSettings#PARTITION_COUNT} partitions).
 */
@Timeout(120)
@AuthTest(settings = {"PASSWORD_CACHE_TTL_SECONDS=2", "PASSWORD_CACHE_MAX_ENTRIES=20"})
class PasswordCacheBoundsTest {

  private final AuthFixture auth;

  PasswordCacheBoundsTest(AuthFixture auth) {
    this.auth = auth;
  }

  JsonObject health() {
    HttpResponse<Buffer> response = await(auth.request(0, HttpMethod.GET, "/health/cache").send());
    return response.bodyAsJsonObject();
  }

  @Test
  void anEntryExpiresAfterItsTimeToLiveAndTheNextLoginIsAMissAgain() {
    Credentials user = auth.users.addUnique("ttl", "password ttl");
    assertThat(auth.login(0, user.username(), "password ttl").statusCode()).isEqualTo(200);
    PasswordCache cache = auth.passwordCache(0);
    assertThat(await(cache.peek(user.userId()))).isNotNull();
    long evictionsBefore = health().getLong("evictions");

    boolean expired = auth.until(() -> cache.peek(user.userId()).map(e -> e == null), 10_000);

    assertThat(expired).as("entry gone within the bound").isTrue();
    assertThat(auth.until(() -> Future.succeededFuture(health().getLong("evictions") > evictionsBefore), 10_000)).isTrue();
    int asked = auth.users.credentialRequests();
    long misses = health().getLong("misses");
    assertThat(auth.login(0, user.username(), "password ttl").statusCode()).isEqualTo(200);
    assertThat(auth.users.credentialRequests()).isEqualTo(asked + 1);
    assertThat(health().getLong("misses")).isEqualTo(misses + 1);
  }

  @Test
  void theNumberOfEntriesIsBounded() {
    PasswordCache cache = auth.passwordCache(0);
    long evictionsBefore = health().getLong("evictions");
    List<Future<PasswordCache.InstallResult>> installs = new ArrayList<>();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    for (int i = 0; i < 600; i++) {
      String id = UUID.randomUUID().toString();
      installs.add(cache.install(new Credentials(id, "bulk" + i, "bulk" + i + "@example.com", List.of("user"),
        "$2a$04$abcdefghijklmnopqrstuuJ3Yq3b2cXn4bq8kP1f0c8mP1t1yq2Y.", 1, now, false, false)));
    }
    await(Future.join(installs), 60);

    assertThat(installs).allSatisfy(f -> assertThat(f.result()).isEqualTo(PasswordCache.InstallResult.INSTALLED));
    // one node: at most one entry per partition is left of the 600 when the bound is below the partition count
    assertThat(await(cache.size())).isLessThanOrEqualTo(ClusterSettings.PARTITION_COUNT);
    assertThat(health().getLong("evictions")).isGreaterThan(evictionsBefore);
  }
}
