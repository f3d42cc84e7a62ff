package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.http.AccountPage;
import io.latchkey.auth.http.AccountSessionRoutes;
import io.latchkey.auth.http.AuthApi;
import io.latchkey.auth.http.DiscoveryRoutes;
import io.latchkey.auth.http.LoginRoutes;
import io.latchkey.auth.http.PasswordCacheRoutes;
import io.latchkey.auth.http.SessionRoutes;
import io.latchkey.auth.http.SyncRoutes;
import io.latchkey.auth.http.TokenRoutes;
import io.latchkey.common.NodeState;
import io.latchkey.common.Resources;
import io.latchkey.common.audit.AuditRoutes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /openapi.json documents exactly the routes the router serves: a route without a documented
 * operation, or a documented operation without a route, fails this test.
 */
@AuthTest
class OpenApiCoverageTest {

  static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
  private final AuthFixture auth;

  OpenApiCoverageTest(AuthFixture auth) {
    this.auth = auth;
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
    HttpResponse<Buffer> response = await(auth.request(0, HttpMethod.GET, "/openapi.json").send());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("application/json");
    JsonObject document = response.bodyAsJsonObject();
    assertThat(document.getString("openapi")).startsWith("3.");

    Set<String> documented = new TreeSet<>();
    Set<String> operationIds = new HashSet<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!METHODS.contains(method)) {
          continue;
        }
        JsonObject operation = item.getJsonObject(method);
        documented.add(method.toUpperCase() + " " + path);
        assertThat(operation.getJsonObject("responses")).as(method + " " + path + " responses").isNotNull().isNotEmpty();
        String id = operation.getString("operationId");
        if (id != null) {
          assertThat(operationIds.add(id)).as("operationId " + id + " is unique").isTrue();
        }
      }
    }
    Set<String> routed = routeTable(new AuthApi(new NodeState("n"), null, new LoginRoutes(null, null, null, null, null),
      new TokenRoutes(null, null, null, "{}", null), new SessionRoutes(null, null, null, null), new SyncRoutes(null, null),
      new PasswordCacheRoutes(null, null, null), new DiscoveryRoutes("i", "http://h", java.util.List.of("RS256")),
      new AuditRoutes(null, null, ctx -> Future.failedFuture("unused")),
      Resources.read(AuthApi.OPENAPI_RESOURCE), AccountPage.fromClassPath("http://127.0.0.1:8081", "http://h", "http://localhost:8082"),
      new AccountSessionRoutes(null, null, null, "http://h", "http://localhost:8082")).router(auth.nodes.get(0)));

    assertThat(routed).as("routes without a documented operation").isSubsetOf(documented);
    assertThat(documented).as("documented operations without a route").isSubsetOf(routed);
    assertThat(routed).contains("POST /auth/refresh", "POST /auth/login", "POST /auth/login/mfa", "DELETE /auth/sessions/{id}", "GET /.well-known/jwks.json",
      "POST /auth/revoke", "GET /.well-known/openid-configuration", "GET /.well-known/oauth-authorization-server");
  }

  /** "METHOD /path" of every route of the router (OpenAPI style {param}). */
  private static Set<String> routeTable(Router router) {
    Set<String> out = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
        continue; // request ids, body limits, failure handling: all paths, not operations
      }
      String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      route.methods().forEach(m -> out.add(m.name() + " " + path));
    }
    return out;
  }

  @Test
  void everyReferencedSchemaExists() {
    JsonObject document = await(auth.request(0, HttpMethod.GET, "/openapi.json").send()).bodyAsJsonObject();
    JsonObject schemas = document.getJsonObject("components").getJsonObject("schemas");
    java.util.regex.Matcher refs = java.util.regex.Pattern.compile("\"#/components/schemas/([A-Za-z0-9_]+)\"").matcher(document.encode());
    while (refs.find()) {
      assertThat(schemas.containsKey(refs.group(1))).as("schema " + refs.group(1)).isTrue();
    }
  }
}
