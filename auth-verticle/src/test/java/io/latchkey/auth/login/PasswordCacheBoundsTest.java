package io.latchkey.auth.login;

import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.auth.login.LoginCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache is bounded: entries expire after PASSWORD_CACHE_TTL_SECONDS and each member keeps
 * at most about PASSWORD_CACHE_MAX_ENTRIES (Hazelcast enforces it per partition, with a floor
 * of one entry per partition: {@link ClusterSettings#PARTITION_COUNT} partitions).
 */
@Timeout(120)
class PasswordCacheBoundsTest {

  static LoginCluster cluster;

  @BeforeAll
  static void start() {
    cluster = LoginCluster.start(Map.of("PASSWORD_CACHE_TTL_SECONDS", "2", "PASSWORD_CACHE_MAX_ENTRIES", "20"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static JsonObject health() {
    HttpResponse<Buffer> response = await(cluster.request(0, HttpMethod.GET, "/health/cache").send());
    return response.bodyAsJsonObject();
  }

  @Test
  void anEntryExpiresAfterItsTimeToLiveAndTheNextLoginIsAMissAgain() {
    Credentials user = cluster.users.add("ttl", "password ttl");
    assertThat(cluster.login(0, user.username(), "password ttl").statusCode()).isEqualTo(200);
    PasswordCache cache = cluster.components.get(0).cache();
    assertThat(await(cache.peek(user.userId()))).isNotNull();
    long evictionsBefore = health().getLong("evictions");

    boolean expired = cluster.until(() -> cache.peek(user.userId()).map(e -> e == null), 10_000);

    assertThat(expired).as("entry gone within the bound").isTrue();
    assertThat(cluster.until(() -> Future.succeededFuture(health().getLong("evictions") > evictionsBefore), 10_000)).isTrue();
    int asked = cluster.users.credentialRequests();
    long misses = health().getLong("misses");
    assertThat(cluster.login(0, user.username(), "password ttl").statusCode()).isEqualTo(200);
    assertThat(cluster.users.credentialRequests()).isEqualTo(asked + 1);
    assertThat(health().getLong("misses")).isEqualTo(misses + 1);
  }

  @Test
  void theNumberOfEntriesIsBounded() {
    PasswordCache cache = cluster.components.get(0).cache();
    long evictionsBefore = health().getLong("evictions");
    List<Future<PasswordCache.InstallResult>> installs = new ArrayList<>();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    for (int i = 0; i < 600; i++) {
      String id = UUID.randomUUID().toString();
      installs.add(cache.install(new Credentials(id, "bulk" + i, "bulk" + i + "@example.com", List.of("user"),
        "$2a$04$abcdefghijklmnopqrstuuJ3Yq3b2cXn4bq8kP1f0c8mP1t1yq2Y.", 1, now)));
    }
    await(Future.join(installs), 60);

    assertThat(installs).allSatisfy(f -> assertThat(f.result()).isEqualTo(PasswordCache.InstallResult.INSTALLED));
    // one node: at most one entry per partition is left of the 600 when the bound is below the partition count
    assertThat(await(cache.size())).isLessThanOrEqualTo(ClusterSettings.PARTITION_COUNT);
    assertThat(health().getLong("evictions")).isGreaterThan(evictionsBefore);
  }
}
