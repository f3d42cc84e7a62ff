package io.latchkey.launcher;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The HTTP servers' request series, {@code vertx_http_server_requests_total} and
 * {@code vertx_http_server_response_time_seconds} by {@code route}, {@code method} and
 * {@code code}, kept by Latchkey instead of vertx-micrometer: the same names, labels and values,
 * the meters found by route, method and status code in plain maps. vertx-micrometer looks each
 * request's meters up in the registry by freshly built tags, five times per request (~18 % of a
 * validate-token's CPU in a profile, docs/BENCHMARKS.md). Everything else (connections and
 * bytes of the HTTP servers, pools, event bus, clients) stays vertx-micrometer's; its other
 * per-request series (active requests, request and response sizes, resets) are not published.
 */
final class RequestSeries {

  private RequestSeries() {
  }

  /** vertx-micrometer's factory, with every HTTP server's request series kept here. */
  static VertxMetricsFactory factory(VertxMetricsFactory vertxMetrics, MeterRegistry registry) {
    return new VertxMetricsFactory() {
      @Override
      public VertxMetrics metrics(VertxOptions options) {
        return new Metrics(vertxMetrics.metrics(options), registry);
      }

      @Override
      public MetricsOptions newOptions() {
        return vertxMetrics.newOptions();
      }

      @Override
      public MetricsOptions newOptions(MetricsOptions options) {
        return vertxMetrics.newOptions(options);
      }

      @Override
      public MetricsOptions newOptions(JsonObject json) {
        return vertxMetrics.newOptions(json);
      }
    };
  }

  /** vertx-micrometer's metrics, but for the HTTP servers' request series. */
  private record Metrics(VertxMetrics delegate, MeterRegistry registry) implements VertxMetrics {

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      @SuppressWarnings("unchecked")
      HttpServerMetrics<Object, Object, Object> connections =
        (HttpServerMetrics<Object, Object, Object>) delegate.createHttpServerMetrics(options, localAddress);
      return new Server(connections, registry);
    }

    @Override
    public EventBusMetrics<?> createEventBusMetrics() {
      return delegate.createEventBusMetrics();
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
      return delegate.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return delegate.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
      return delegate.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return delegate.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return delegate.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
      return delegate.createPoolMetrics(type, name, maxSize);
    }

    @Override
    public void vertxCreated(io.vertx.core.Vertx vertx) {
      delegate.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return delegate.isMetricsEnabled();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** A request in flight: its method, when it began, and the route template(s) Vert.x Web matched. */
  static final class Request {

    final HttpMethod method;
    final long startNanos;
    String route;

    Request(HttpMethod method, long startNanos) {
      this.method = method;
      this.startNanos = startNanos;
    }
  }

  /** One series pair: requests and response time of a route, method and status code. */
  private record Meters(Counter requests, Timer responseTime) {
  }

  /** An HTTP server's metrics: connections and bytes by vertx-micrometer, requests here. */
  static final class Server implements HttpServerMetrics<Request, Object, Object> {

    /** Status codes whose series are kept by index; any other (none is sent) is looked up in the registry. */
    private static final int CODES = 600;

    private final HttpServerMetrics<Object, Object, Object> connections;
    private final MeterRegistry registry;
    /** route template, then method name, then status code. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, AtomicReferenceArray<Meters>>> series =
      new ConcurrentHashMap<>();

    Server(HttpServerMetrics<Object, Object, Object> connections, MeterRegistry registry) {
      this.connections = connections;
      this.registry = registry;
    }

    @Override
    public Request requestBegin(Object socket, HttpRequest request) {
      return new Request(request.method(), System.nanoTime());
    }

    /** As vertx-micrometer: the templates of nested routers joined by {@code >}. */
    @Override
    public void requestRouted(Request request, String route) {
      if (request != null && route != null) {
        request.route = request.route == null ? route : request.route + ">" + route;
      }
    }

    @Override
    public void responseEnd(Request request, HttpResponse response, long bytesWritten) {
      if (request == null) {
        return;
      }
      Meters meters = meters(request.route == null ? "" : request.route, request.method.name(), response.statusCode());
      meters.requests().increment();
      meters.responseTime().record(System.nanoTime() - request.startNanos, TimeUnit.NANOSECONDS);
    }

    Meters meters(String route, String method, int status) {
      if (status < 0 || status >= CODES) {
        return register(route, method, status);
      }
      AtomicReferenceArray<Meters> byCode = series.computeIfAbsent(route, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(method, m -> new AtomicReferenceArray<>(CODES));
      Meters meters = byCode.get(status);
      if (meters == null) {
        // registering is idempotent: a racing thread gets the same meters from the registry
        meters = register(route, method, status);
        byCode.set(status, meters);
      }
      return meters;
    }

    private Meters register(String route, String method, int status) {
      String code = String.valueOf(status);
      return new Meters(
        Counter.builder("vertx.http.server.requests").description("Number of processed requests")
          .tags("route", route, "method", method, "code", code).register(registry),
        Timer.builder("vertx.http.server.response.time").description("Request processing time")
          .tags("route", route, "method", method, "code", code).register(registry));
    }

    @Override
    public Object connected(SocketAddress remoteAddress, String remoteName) {
      return connections.connected(remoteAddress, remoteName);
    }

    @Override
    public void disconnected(Object socket, SocketAddress remoteAddress) {
      connections.disconnected(socket, remoteAddress);
    }

    @Override
    public void bytesRead(Object socket, SocketAddress remoteAddress, long numberOfBytes) {
      connections.bytesRead(socket, remoteAddress, numberOfBytes);
    }

    @Override
    public void bytesWritten(Object socket, SocketAddress remoteAddress, long numberOfBytes) {
      connections.bytesWritten(socket, remoteAddress, numberOfBytes);
    }

    @Override
    public void exceptionOccurred(Object socket, SocketAddress remoteAddress, Throwable t) {
      connections.exceptionOccurred(socket, remoteAddress, t);
    }

    @Override
    public void close() {
      connections.close();
    }
  }
}
