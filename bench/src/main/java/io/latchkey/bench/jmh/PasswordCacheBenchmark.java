package io.latchkey.bench.jmh;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.auth.cache.CacheCipher;
import io.latchkey.auth.cache.CacheSettings;
import io.latchkey.auth.cache.CachedCredentials;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.floor.VersionFloors;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.RowSet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A login's password-cache lookup ({@link PasswordCache#findByLogin}): a worker-thread hop, the
 * blinded login index, the sealed entry (AES-256-GCM open) and the user's version floor, on
 * Hazelcast members started inside the benchmark (a private cluster name on loopback).
 * {@code members = 1}: every entry is local; {@code members = 2}: about half the partitions are
 * owned by the other member, as in the real cluster where the user service is a member too.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
  "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
  "--add-opens", "java.management/sun.management=ALL-UNNAMED",
  "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED"})
public class PasswordCacheBenchmark {

  @Param({"1", "2"})
  public int members;

  private static final int USERS = 1000;

  private final List<HazelcastInstance> instances = new ArrayList<>();
  private Vertx vertx;
  private PasswordCache cache;
  private String[] logins;

  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void setUp() {
    ClusterSettings cluster = new ClusterSettings("latchkey-jmh-" + UUID.randomUUID(),
      List.of("127.0.0.1:5791", "127.0.0.1:5792"), 5791, "127.0.0.1", 1, 5);
    for (int i = 0; i < members; i++) {
      instances.add(Hazelcast.newHazelcastInstance(cluster.hazelcastConfig()));
    }
    vertx = Vertx.vertx();
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    CacheSettings settings = new CacheSettings(10_000, 900, key, true);
    cache = new PasswordCache(vertx, instances.get(0), settings, new CacheCipher(key), new VersionFloors(noFloorsPool()));
    cache.start().await();
    logins = new String[USERS];
    String hash = "$2a$10$" + "a".repeat(53);
    for (int i = 0; i < USERS; i++) {
      String userId = UUID.randomUUID().toString();
      logins[i] = "bench-user-" + i;
      Credentials credentials = new Credentials(userId, logins[i], logins[i] + "@example.com", List.of("user"), hash, 1,
        Instant.now(), true, false);
      if (cache.install(credentials).await() != PasswordCache.InstallResult.INSTALLED) {
        throw new IllegalStateException("could not install the entry of " + logins[i]);
      }
    }
    for (String login : logins) {
      if (cache.findByLogin(login).await() == null) {
        throw new IllegalStateException("no cache entry found for " + login);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cache.stop().await();
    vertx.close().await();
    instances.forEach(HazelcastInstance::shutdown);
  }

  @Benchmark
  public CachedCredentials findByLogin(Cursor cursor) {
    return cache.findByLogin(logins[cursor.next++ % USERS]).await();
  }

  /**
   * A pool whose every query answers no rows: the durable floor of every user is "none". Only
   * {@link VersionFloors#floor} runs (when entries are installed in the set-up), and the
   * lookups measured never touch it.
   */
  @SuppressWarnings("unchecked")
  private static Pool noFloorsPool() {
    RowSet<?> empty = (RowSet<?>) Proxy.newProxyInstance(RowSet.class.getClassLoader(), new Class<?>[] {RowSet.class},
      (proxy, method, args) -> switch (method.getName()) {
        case "size", "rowCount" -> 0;
        case "iterator" -> java.util.Collections.emptyIterator();
        default -> throw new UnsupportedOperationException(method.getName());
      });
    PreparedQuery<?> query = (PreparedQuery<?>) Proxy.newProxyInstance(PreparedQuery.class.getClassLoader(),
      new Class<?>[] {PreparedQuery.class}, (proxy, method, args) -> {
        if (method.getName().equals("execute")) {
          return Future.succeededFuture(empty);
        }
        throw new UnsupportedOperationException(method.getName());
      });
    return (Pool) Proxy.newProxyInstance(Pool.class.getClassLoader(), new Class<?>[] {Pool.class}, (proxy, method, args) -> {
      if (method.getName().equals("preparedQuery")) {
        return query;
      }
      throw new UnsupportedOperationException(method.getName());
    });
  }
}
