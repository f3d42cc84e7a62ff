package io.latchkey.common;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.List;
import java.util.Map;

/**
 * Our own Hazelcast configuration (the vertx-hazelcast default uses multicast): TCP-IP join,
 * members on loopback by default, everything overridable for real hosts.
 *
 * @param clusterName       HAZELCAST_CLUSTER_NAME; nodes only join a cluster of the same name
 * @param members           HAZELCAST_MEMBERS, comma-separated host:port (each listed separately)
 * @param port              HAZELCAST_PORT, the first port this member tries (auto-increments)
 * @param bindInterface     HAZELCAST_INTERFACE, the address to bind and publish
 * @param heartbeatSeconds  HAZELCAST_HEARTBEAT_SECONDS, interval of member heartbeats
 * @param maxNoHeartbeatSeconds HAZELCAST_MAX_NO_HEARTBEAT_SECONDS, silence after which a member is dropped
 */
public record ClusterSettings(String clusterName, List<String> members, int port, String bindInterface,
                              int heartbeatSeconds, int maxNoHeartbeatSeconds) {

  /** Hazelcast partitions of every Latchkey cluster (see {@link #hazelcastConfig}). */
  public static final int PARTITION_COUNT = 31;

  public static ClusterSettings fromEnvironment(Map<String, String> env) {
    Settings s = new Settings(null, env);
    List<String> members = ApiKeys.split(s.string("members", "HAZELCAST_MEMBERS",
      "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703,127.0.0.1:5704,127.0.0.1:5705,127.0.0.1:5706"));
    return new ClusterSettings(
      s.string("clusterName", "HAZELCAST_CLUSTER_NAME", "latchkey"),
      members,
      s.integer("port", "HAZELCAST_PORT", 5701, 1, 65535),
      s.string("interface", "HAZELCAST_INTERFACE", "127.0.0.1"),
      s.integer("heartbeat", "HAZELCAST_HEARTBEAT_SECONDS", 1, 1, 60),
      s.integer("maxNoHeartbeat", "HAZELCAST_MAX_NO_HEARTBEAT_SECONDS", 5, 2, 600));
  }

  public Config hazelcastConfig() {
    // built in code, not from vertx-hazelcast's default-cluster.xml: parsing and validating that
    // XML against its schema costs ~0.3 s of every start. These are its three data structures.
    Config config = new Config();
    config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
      .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    config.setClusterName(clusterName);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // graceful leave is done by our own shutdown hook, which closes Vert.x first
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(heartbeatSeconds));
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(maxNoHeartbeatSeconds));
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    // 31 partitions, not 271: our maps are small (cache entries, counters, Vert.x's subscriptions)
    // and a joining member takes over its share of partitions before cluster operations on them
    // proceed, so fewer partitions make a join settle sooner (measured: a node is ready ~0.7 s
    // earlier). Every member of a cluster must use the same count (Hazelcast refuses a join otherwise).
    config.setProperty("hazelcast.partition.count", String.valueOf(PARTITION_COUNT));
    // an operation that meets a partition still migrating is retried after this pause (Hazelcast:
    // 500 ms); right after a join that pause is most of the wait. 250 retries x 100 ms still
    // outlast the 5 s after which a silent member is dropped.
    config.setProperty("hazelcast.invocation.retry.pause.millis", "100");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(bindInterface));
    network.setPublicAddress(null);
    config.setProperty("hazelcast.local.localAddress", bindInterface);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    return config;
  }

  public HazelcastClusterManager clusterManager() {
    return new HazelcastClusterManager(hazelcastConfig());
  }
}
