package io.latchkey.user;

import io.latchkey.common.ApiKeys;
import io.latchkey.common.HealthRoutes;
import io.latchkey.common.audit.AuditRoutes;
import io.latchkey.common.NodeState;
import io.latchkey.common.Resources;
import io.latchkey.user.auth.Authorizer;
import io.latchkey.user.http.CorsPolicy;
import io.latchkey.user.http.UserApi;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Every route of the router has an operation in the served OpenAPI document, and the other way round. */
@ExtendWith(VertxExtension.class)
class OpenApiRoutesTest {

  private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

  @Test
  void routerRoutesAndDocumentedOperationsAreTheSame(Vertx vertx) {
    Buffer document = Resources.read(UserModule.OPENAPI_RESOURCE);
    Router router = new UserApi(null, null, null, null, new Authorizer(new ApiKeys(List.of("k"), List.of(), "k"), (t, r) -> Future.failedFuture("unused")),
      new HealthRoutes(vertx, new NodeState("n"), null), document, null, null, new AuditRoutes(null, null, ctx -> Future.failedFuture("unused")),
      new CorsPolicy(List.of()), null).router(vertx);

    Set<String> routed = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
        continue; // request ids, body limits, failure handling: all paths, not operations
      }
      String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      for (HttpMethod method : route.methods()) {
        routed.add(method.name() + " " + path);
      }
    }

    JsonObject openApi = new JsonObject(document);
    assertThat(openApi.getString("openapi")).startsWith("3.");
    Set<String> documented = new TreeSet<>();
    openApi.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).fieldNames().stream()
      .filter(OPERATIONS::contains)
      .forEach(op -> documented.add(op.toUpperCase() + " " + path.getKey())));

    assertThat(routed).isNotEmpty();
    assertThat(routed).as("routes without a documented operation / operations without a route").isEqualTo(documented);
  }

  @Test
  void everyOperationHasAnIdAndResponses() {
    JsonObject openApi = new JsonObject(Resources.read(UserModule.OPENAPI_RESOURCE));
    openApi.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).fieldNames().stream()
      .filter(OPERATIONS::contains)
      .forEach(op -> {
        JsonObject operation = ((JsonObject) path.getValue()).getJsonObject(op);
        assertThat(operation.getString("operationId")).as(op + " " + path.getKey()).isNotBlank();
        assertThat(operation.getJsonObject("responses").fieldNames()).as(op + " " + path.getKey()).isNotEmpty();
      }));
  }

  @Test
  void theDocumentIsServedAtOpenapiJson(Vertx vertx) {
    Buffer document = Resources.read(UserModule.OPENAPI_RESOURCE);
    Router router = new UserApi(null, null, null, null, null, new HealthRoutes(vertx, new NodeState("n"), null), document, null, null,
      new AuditRoutes(null, null, ctx -> Future.failedFuture("unused")), new CorsPolicy(List.of()), null).router(vertx);
    var server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    var client = io.vertx.ext.web.client.WebClient.create(vertx);
    var response = await(client.get(server.actualPort(), "127.0.0.1", "/openapi.json").send());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(response.bodyAsJsonObject().getJsonObject("info").getString("title")).isEqualTo("Latchkey user service");
    await(server.close());
  }
}
