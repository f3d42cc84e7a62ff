package io.latchkey.launcher;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RequestSeries.Server}: the request series by route template, method and code, as vertx-micrometer names them. */
class RequestSeriesTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RequestSeries.Server server = new RequestSeries.Server(new HttpServerMetrics<>() {
  }, registry);

  @Test
  void countsAndTimesEachRequestByRouteMethodAndCode() {
    serve(HttpMethod.POST, 200, "/auth/validate-token");
    serve(HttpMethod.POST, 200, "/auth/validate-token");
    serve(HttpMethod.POST, 401, "/auth/validate-token");
    serve(HttpMethod.GET, 200, "/users/:id");
    serve(HttpMethod.GET, 404);
    serve(HttpMethod.GET, 200, "/account", "/sessions");

    assertThat(requests("/auth/validate-token", "POST", "200").count()).isEqualTo(2);
    assertThat(requests("/auth/validate-token", "POST", "401").count()).isEqualTo(1);
    assertThat(requests("/users/:id", "GET", "200").count()).isEqualTo(1);
    assertThat(requests("", "GET", "404").count()).as("no route matched: an empty route, as vertx-micrometer").isEqualTo(1);
    assertThat(requests("/account>/sessions", "GET", "200").count()).as("nested routers joined by >").isEqualTo(1);
    Timer time = registry.get("vertx.http.server.response.time").tags("route", "/auth/validate-token", "method", "POST", "code", "200").timer();
    assertThat(time.count()).isEqualTo(2);
    assertThat(time.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(2.0);
    assertThat(registry.getMeters()).hasSize(10);
  }

  @Test
  void anUnusualStatusIsCountedToo() {
    serve(HttpMethod.GET, 799, "/x");
    serve(HttpMethod.GET, 799, "/x");
    assertThat(requests("/x", "GET", "799").count()).isEqualTo(2);
  }

  private Counter requests(String route, String method, String code) {
    return registry.get("vertx.http.server.requests").tags("route", route, "method", method, "code", code).counter();
  }

  private void serve(HttpMethod method, int status, String... routes) {
    RequestSeries.Request request = server.requestBegin(null, proxy(HttpRequest.class, method, 0));
    for (String route : routes) {
      server.requestRouted(request, route);
    }
    long answered = System.nanoTime() + 1_000_000;
    while (System.nanoTime() < answered) {
      Thread.onSpinWait();
    }
    server.responseEnd(request, proxy(HttpResponse.class, method, status), 10);
  }

  private static <T> T proxy(Class<T> type, HttpMethod method, int status) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (p, m, args) -> switch (m.getName()) {
      case "method" -> method;
      case "statusCode" -> status;
      default -> throw new UnsupportedOperationException(m.getName());
    }));
  }
}
