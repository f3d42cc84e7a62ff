package io.latchkey.common.testing;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.common.ClusterSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;

/**
 * Clustered Vert.x nodes inside the test JVM, on a cluster of their own (a random name and
 * free loopback ports), so that parallel test classes and a running dev cluster never merge.
 */
public final class TestNodes {

  private final String clusterName = "test-" + java.util.UUID.randomUUID();
  private final int basePort = freePort();

  /** Starts the next node of this test cluster; start them one after another. */
  public Future<Vertx> start() {
    ClusterSettings settings = new ClusterSettings(clusterName,
      List.of("127.0.0.1:" + basePort, "127.0.0.1:" + (basePort + 1), "127.0.0.1:" + (basePort + 2)),
      basePort, "127.0.0.1", 1, 5);
    return Vertx.builder()
      .with(new VertxOptions().setBlockedThreadCheckInterval(1000))
      .withClusterManager(settings.clusterManager())
      .buildClustered();
  }

  /** The Hazelcast member of a clustered test node (what the launcher hands the auth service). */
  public static HazelcastInstance hazelcast(Vertx vertx) {
    return ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
  }

  /** A free TCP port on loopback with two free successors (likely; good enough for tests). */
  public static int freePort() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int candidate;
      try (ServerSocket s = new ServerSocket(0)) {
        candidate = s.getLocalPort();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      if (candidate < 65000 && free(candidate + 1) && free(candidate + 2)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no free port range");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
