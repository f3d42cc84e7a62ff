package io.latchkey.launcher;

import io.latchkey.common.ClusterSettings;
import io.latchkey.common.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Event-bus TLS: the settings (off by default, refusals naming the variable) and real clustered
 * nodes: two nodes holding the cluster's certificate exchange messages over TLS; a node without
 * TLS, or with a certificate the others do not trust, cannot reach their consumers.
 */
@ExtendWith(VertxExtension.class)
class EventBusTlsTest {

  private static final String PASSWORD = "bus-store-password";

  @TempDir
  static Path stores;
  private static Path clusterStore;
  private static Path strangerStore;

  private final List<Vertx> nodes = new ArrayList<>();

  @BeforeAll
  static void createKeystores() throws Exception {
    clusterStore = keytool(stores.resolve("cluster-bus.p12"), "CN=latchkey-bus");
    strangerStore = keytool(stores.resolve("stranger-bus.p12"), "CN=not-of-this-cluster");
  }

  @AfterEach
  void closeNodes() throws Exception {
    for (Vertx node : nodes) {
      node.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void tlsIsOffWithoutAKeystore() {
    assertThat(EventBusTls.fromEnvironment(Map.of())).isNull();
    assertThat(EventBusTls.eventBusOptions(null).isSsl()).isFalse();
  }

  @Test
  void aKeystoreWithoutPasswordIsRefusedNamingTheVariable() {
    assertThatThrownBy(() -> EventBusTls.fromEnvironment(Map.of("EVENTBUS_TLS_KEYSTORE", clusterStore.toString())))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EVENTBUS_TLS_KEYSTORE_PASSWORD");
  }

  @Test
  void aMissingKeystoreFileIsRefusedNamingTheVariable() {
    assertThatThrownBy(() -> EventBusTls.fromEnvironment(Map.of("EVENTBUS_TLS_KEYSTORE", stores.resolve("absent.p12").toString(),
      "EVENTBUS_TLS_KEYSTORE_PASSWORD", PASSWORD)))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EVENTBUS_TLS_KEYSTORE=");
  }

  @Test
  void aTruststoreWithoutKeystoreIsRefused() {
    assertThatThrownBy(() -> EventBusTls.fromEnvironment(Map.of("EVENTBUS_TLS_TRUSTSTORE", clusterStore.toString())))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EVENTBUS_TLS_TRUSTSTORE");
  }

  @Test
  void theTruststoreDefaultsToTheKeystoreAndTheOptionsRequireClientCertificates() {
    EventBusTls tls = EventBusTls.fromEnvironment(Map.of("EVENTBUS_TLS_KEYSTORE", clusterStore.toString(),
      "EVENTBUS_TLS_KEYSTORE_PASSWORD", PASSWORD));
    assertThat(tls.truststore()).isEqualTo(clusterStore);
    assertThat(tls.truststorePassword()).isEqualTo(PASSWORD);
    assertThat(tls.toString()).doesNotContain(PASSWORD);
    var options = EventBusTls.eventBusOptions(tls);
    assertThat(options.isSsl()).isTrue();
    assertThat(options.getClientAuth()).isEqualTo(io.vertx.core.http.ClientAuth.REQUIRED);
    assertThat(EventBusTls.storeType(Path.of("a.jks"))).isEqualTo("JKS");
    assertThat(EventBusTls.storeType(clusterStore)).isEqualTo("PKCS12");
  }

  @Test
  void twoNodesWithTheClusterCertificateTalkOverTls(VertxTestContext test) {
    Cluster cluster = new Cluster();
    String address = "tls-test." + UUID.randomUUID();
    cluster.node(tls(clusterStore))
      .compose(receiver -> receiver.eventBus().consumer(address, m -> m.reply("pong:" + m.body())).completion())
      .compose(v -> cluster.node(tls(clusterStore)))
      .compose(sender -> requestWithRetry(sender, address, 40))
      .onComplete(test.succeeding(reply -> test.verify(() -> {
        assertThat(reply).isEqualTo("pong:ping");
        test.completeNow();
      })));
  }

  @Test
  void aNodeWithoutTlsCannotReachATlsNode(VertxTestContext test) {
    expectUnreachable(test, null);
  }

  @Test
  void aNodeWithAnUntrustedCertificateCannotReachATlsNode(VertxTestContext test) {
    expectUnreachable(test, tls(strangerStore));
  }

  /**
   * The sender joins the Hazelcast cluster (no TLS there) and sees the consumer's registration,
   * but its bus messages never arrive: after a bounded wait of 5 tries the last failure is a
   * TIMEOUT (a NO_HANDLERS failure would only mean the registration had not been seen yet).
   */
  private void expectUnreachable(VertxTestContext test, EventBusTls senderTls) {
    Cluster cluster = new Cluster();
    String address = "tls-test." + UUID.randomUUID();
    cluster.node(tls(clusterStore))
      .compose(receiver -> receiver.eventBus().consumer(address, m -> m.reply("pong")).completion())
      .compose(v -> cluster.node(senderTls))
      .compose(sender -> requestWithRetry(sender, address, 5))
      .onComplete(ar -> test.verify(() -> {
        assertThat(ar.failed()).as("a bus request from a node outside the TLS trust must fail").isTrue();
        assertThat(ar.cause()).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) ar.cause()).failureType()).isEqualTo(ReplyFailure.TIMEOUT);
        test.completeNow();
      }));
  }

  /** Retries while the receiver's registration reaches the sender's view of the cluster (a fresh node needs a moment). */
  private static Future<String> requestWithRetry(Vertx sender, String address, int tries) {
    return sender.eventBus().<String>request(address, "ping", new DeliveryOptions().setSendTimeout(1000))
      .map(m -> m.body())
      .recover(e -> {
        boolean retryable = e instanceof ReplyException re
          && (re.failureType() == ReplyFailure.NO_HANDLERS || re.failureType() == ReplyFailure.TIMEOUT);
        if (tries <= 1 || !retryable) {
          return Future.failedFuture(e);
        }
        return sender.timer(250).compose(t -> requestWithRetry(sender, address, tries - 1));
      });
  }

  private static EventBusTls tls(Path store) {
    return new EventBusTls(store, PASSWORD, store.equals(strangerStore) ? strangerStore : clusterStore, PASSWORD);
  }

  /** Nodes of a private cluster (random name, free ports), started one after another. */
  private final class Cluster {
    private final String name = "tls-test-" + UUID.randomUUID();
    private final int basePort = TestNodes.freePort();

    Future<Vertx> node(EventBusTls tls) {
      ClusterSettings settings = new ClusterSettings(name,
        List.of("127.0.0.1:" + basePort, "127.0.0.1:" + (basePort + 1), "127.0.0.1:" + (basePort + 2)),
        basePort, "127.0.0.1", 1, 5);
      return Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(EventBusTls.eventBusOptions(tls)))
        .withClusterManager(settings.clusterManager())
        .buildClustered()
        .onSuccess(nodes::add);
    }
  }

  private static Path keytool(Path file, String dname) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "bus", "-keyalg", "RSA",
      "-keysize", "2048", "-validity", "2", "-dname", dname, "-storetype", "PKCS12",
      "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
      .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("keytool: " + output).isZero();
    return file;
  }
}
