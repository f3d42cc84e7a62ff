package io.latchkey.launcher;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.EnumSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The one meter registry of a process: Vert.x's own series (HTTP server by route template,
 * pools, event bus, JVM) and the services' {@code latchkey_*} series, in the Prometheus format
 * that the {@link ManagementServer} serves.
 *
 * <p>Labels are bounded by construction: Vert.x's HTTP series carry the route template
 * (Vert.x Web's, e.g. {@code /users/:id}), the method and the status code, never the path
 * ({@code HTTP_PATH}) nor the remote or local address; a request no route matched has an empty
 * route. What could still carry an id is rewritten by {@link #BOUNDED}: event-bus addresses
 * with a node id in them ({@code latchkey.node.ping.<id>}) and any label value with a UUID.
 */
final class NodeMetrics {

  /** A UUID anywhere in a label value. */
  private static final Pattern UUID = Pattern.compile(
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** Replaces every UUID in a label value by {@code {id}}: the series of all nodes or entities become one. */
  static final MeterFilter BOUNDED = new MeterFilter() {
    @Override
    public Meter.Id map(Meter.Id id) {
      List<Tag> tags = id.getTags();
      boolean rewrite = false;
      for (Tag tag : tags) {
        if (UUID.matcher(tag.getValue()).find()) {
          rewrite = true;
          break;
        }
      }
      if (!rewrite) {
        return id;
      }
      return id.replaceTags(tags.stream().map(t -> Tag.of(t.getKey(), UUID.matcher(t.getValue()).replaceAll("{id}"))).toList());
    }
  };

  /** Buckets of Vert.x's HTTP server response time, which it records as a timer without a histogram. */
  private static final double[] HTTP_BUCKETS_SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  /** Publishes {@code vertx_http_server_response_time_seconds} as a Prometheus histogram (by route template). */
  static final MeterFilter HTTP_HISTOGRAM = new MeterFilter() {
    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
      if (!"vertx.http.server.response.time".equals(id.getName())) {
        return config;
      }
      double[] nanos = java.util.Arrays.stream(HTTP_BUCKETS_SECONDS).map(s -> s * 1e9).toArray();
      return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
    }
  };

  /**
   * Micrometer's JVM binders name three series against Prometheus conventions (promtool says so):
   * {@code jvm_compilation_time_ms_total} and {@code process_cpu_time_ns_total} carry abbreviated
   * units, {@code system_cpu_count} a {@code _count} suffix on a gauge. The first two are left out
   * ({@code process_cpu_usage} tells the CPU use), the third is named {@code system_cpus}.
   */
  static final List<MeterFilter> PROMETHEUS_CONVENTIONS = List.of(
    MeterFilter.denyNameStartsWith("jvm.compilation.time"),
    MeterFilter.deny(id -> "process.cpu.time".equals(id.getName())),
    new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return "system.cpu.count".equals(id.getName()) ? id.withName("system.cpus") : id;
      }
    });

  private final PrometheusMeterRegistry registry;

  NodeMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PROMETHEUS_CONVENTIONS.forEach(registry.config()::meterFilter);
    registry.config().meterFilter(BOUNDED).meterFilter(HTTP_HISTOGRAM);
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Vert.x's metrics on this registry (given to the Vert.x builder with {@link #options()}), the
   * HTTP servers' request series kept by {@link RequestSeries}.
   */
  io.vertx.core.spi.VertxMetricsFactory factory() {
    return RequestSeries.factory(new MicrometerMetricsFactory(registry), registry);
  }

  /**
   * Vert.x's options: JVM binders on; the labels limited to route, method and code for HTTP,
   * pool type and name, event-bus address, side and failure, client name and namespace; the
   * remote and local addresses (one series per client) and the raw path stay off.
   */
  static MicrometerMetricsOptions options() {
    return new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME,
        Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE, Label.CLIENT_NAME, Label.NAMESPACE));
  }

  /** {@code latchkey_cluster_size}: the members this node sees (Hazelcast's local view, no network call). */
  void bindCluster(ClusterManager cluster) {
    Gauge.builder("latchkey.cluster.size", cluster, c -> c.isActive() ? c.getNodes().size() : 0)
      .description("members of the Hazelcast cluster as this node sees them").register(registry);
  }
}
