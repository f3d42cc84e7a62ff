package io.latchkey.launcher;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.ClusterSettings;
import io.latchkey.common.Profile;
import io.latchkey.common.testing.Await;
import io.latchkey.common.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node prepares its services (migration, resources) on a thread of their own
 * WHILE it joins the cluster, not after: the preparer here blocks until the test has seen the
 * clustered Vert.x built, which could never happen if the join waited for it, and it records
 * that the node had not joined yet when it was called.
 */
@ExtendWith(VertxExtension.class)
class PreparationBesideTheJoinTest {

  private static final long BOUND_MS = 30_000;

  private LatchkeyNode node;

  @AfterEach
  void stopTheNode() {
    if (node != null) {
      Await.await(node.stop(0));
    }
  }

  private static LatchkeyNode node(ServicePlan plan) {
    int port = TestNodes.freePort();
    ClusterSettings cluster = new ClusterSettings("test-" + UUID.randomUUID(), List.of("127.0.0.1:" + port), port,
      "127.0.0.1", 1, 5);
    RunOptions options = new RunOptions(Role.USER, 1, Path.of("conf"), Profile.DEVELOPMENT, 0, 5, LogFormat.TEXT);
    return new LatchkeyNode(new LaunchConfiguration(options, ApiKeys.fromEnvironment(Map.of(), Profile.DEVELOPMENT), cluster, null,
      List.of(plan)));
  }

  @Test
  void prepareRunsOnItsOwnThreadWhileTheClusterIsJoined(Vertx observer) throws Exception {
    CountDownLatch clusterSeen = new CountDownLatch(1);
    AtomicReference<Thread> preparedOn = new AtomicReference<>();
    AtomicBoolean joinedWhenCalled = new AtomicBoolean(true);
    AtomicReference<Vertx> deployedOn = new AtomicReference<>();
    AtomicReference<LatchkeyNode> self = new AtomicReference<>();
    ServicePlan plan = new ServicePlan("probe service", null, "127.0.0.1", 0, () -> {
      preparedOn.set(Thread.currentThread());
      joinedWhenCalled.set(self.get().vertx() != null);
      if (!clusterSeen.await(BOUND_MS, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("the cluster was not joined while prepare blocked");
      }
      return (vertx, hazelcast, keys, state, instances, metrics) -> {
        deployedOn.set(vertx);
        return Future.succeededFuture(new ServicePlan.Deployed(4242, Future::succeededFuture));
      };
    });
    node = node(plan);
    self.set(node);

    Future<LatchkeyNode> started = node.start();
    Await.await(clusteredVertxBuilt(observer, node, System.currentTimeMillis() + BOUND_MS), 40);
    assertThat(started.isComplete()).as("the start cannot finish before its service is prepared").isFalse();
    clusterSeen.countDown();
    Await.await(started, 40);

    assertThat(joinedWhenCalled).as("prepare was called before the join completed").isFalse();
    assertThat(preparedOn.get().getName()).isEqualTo("latchkey-prepare-probe-service");
    assertThat(preparedOn.get().isDaemon()).isTrue();
    assertThat(deployedOn.get()).isSameAs(node.vertx());
    assertThat(node.services()).singleElement().satisfies(service -> {
      assertThat(service.plan()).isSameAs(plan);
      assertThat(service.httpPort()).isEqualTo(4242);
    });
  }

  @Test
  void aFailingPrepareFailsTheStartInThePlansName() {
    ServicePlan plan = new ServicePlan("probe service", null, "127.0.0.1", 0, () -> {
      throw new IllegalStateException("the probe resource is missing from the classpath");
    });
    node = node(plan);

    Throwable failure = Await.failure(node.start());

    assertThat(failure).isInstanceOf(StartupException.class);
    assertThat(((StartupException) failure).service()).isSameAs(plan);
    assertThat(StartupFailures.describe(failure))
      .isEqualTo("probe service: the probe resource is missing from the classpath");
    assertThat(node.services()).isEmpty();
  }

  /** Polls (bounded, on the observer's timers) until the node's clustered Vert.x exists. */
  private static Future<Void> clusteredVertxBuilt(Vertx observer, LatchkeyNode node, long until) {
    if (node.vertx() != null) {
      return Future.succeededFuture();
    }
    if (System.currentTimeMillis() > until) {
      return Future.failedFuture(new AssertionError("the node did not join the cluster while its service was being prepared"));
    }
    return observer.timer(20).compose(t -> clusteredVertxBuilt(observer, node, until));
  }
}
