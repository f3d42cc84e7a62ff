package io.latchkey.launcher;

import com.hazelcast.core.HazelcastInstance;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.DbConfig;
import io.latchkey.common.ManagementSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.latchkey.common.NodeState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * One service this process will run, with its configuration already read and checked: its
 * name for messages, where its database is and which port it takes (to name them when the
 * start fails), and how to start it in two steps: {@link Preparer#prepare} (the blocking work
 * that needs no Vert.x: the migration, the resources), which the node runs on
 * its own thread while it joins the cluster, and the {@link Deployer} it returns, which
 * deploys the prepared service on the clustered Vert.x.
 */
public record ServicePlan(String name, DbConfig database, String httpHost, int configuredPort, ManagementSettings management,
                          Preparer preparer) {

  /** A plan whose management server would take any free port on loopback (tests). */
  public ServicePlan(String name, DbConfig database, String httpHost, int configuredPort, Preparer preparer) {
    this(name, database, httpHost, configuredPort, new ManagementSettings("127.0.0.1", 0), preparer);
  }

  /** Blocking, on a plain thread (never an event loop); returns the deployer that captures what it prepared. */
  @FunctionalInterface
  public interface Preparer {
    Deployer prepare() throws Exception;
  }

  @FunctionalInterface
  public interface Deployer {
    /** Deploys the service; its {@code latchkey_*} series go to {@code metrics}, the process's registry. */
    Future<Deployed> deploy(Vertx vertx, HazelcastInstance hazelcast, ApiKeys keys, NodeState state, int instances,
                            MeterRegistry metrics);
  }

  /** What a deployed module gives back: the port it listens on and how to undeploy it. */
  public record Deployed(int httpPort, Supplier<Future<Void>> undeploy) {
  }

  /** A deployed service of this node. */
  public record RunningService(ServicePlan plan, int httpPort, Supplier<Future<Void>> undeploy) {
  }

  /** The host to print in URLs: the bound address, or loopback when bound to every interface. */
  public String urlHost() {
    return httpHost == null || httpHost.isBlank() || "0.0.0.0".equals(httpHost) || "::".equals(httpHost)
      ? "127.0.0.1" : httpHost;
  }
}
