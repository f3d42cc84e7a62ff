package io.latchkey.common;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
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
    Config config = ConfigUtil.loadConfig();
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
