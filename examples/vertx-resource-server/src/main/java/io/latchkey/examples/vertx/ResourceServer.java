package io.latchkey.examples.vertx;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.JWTAuthHandler;

import static io.vertx.core.http.HttpResponseExpectation.SC_OK;

/**
 * A Vert.x resource server that trusts Latchkey's access tokens: it reads the issuer's discovery
 * document, takes the public keys from its {@code jwks_uri}, and lets {@code JWTAuthHandler}
 * check every request's bearer token (signature, {@code exp}, {@code iss}, {@code aud}); 401
 * otherwise. Environment: LATCHKEY_ISSUER (the auth service's PUBLIC_URL, default
 * http://127.0.0.1:8082), LATCHKEY_AUDIENCE (default latchkey), PORT (default 8091).
 */
public final class ResourceServer {

  public static void main(String[] args) {
    String issuer = env("LATCHKEY_ISSUER", "http://127.0.0.1:8082");
    String audience = env("LATCHKEY_AUDIENCE", "latchkey");
    int port = Integer.parseInt(env("PORT", "8091"));
    Vertx vertx = Vertx.vertx();
    WebClient http = WebClient.create(vertx);

    getJson(http, issuer + "/.well-known/openid-configuration")
      .compose(discovery -> issuer.equals(discovery.getString("issuer"))
        ? getJson(http, discovery.getString("jwks_uri"))
        : Future.failedFuture("the discovery document names another issuer: " + discovery.getString("issuer")))
      .compose(jwks -> {
        JWTAuth tokens = JWTAuth.create(vertx, new JWTAuthOptions()
          .setJwks(jwks.getJsonArray("keys").stream().map(JsonObject.class::cast).toList())
          .setJWTOptions(new JWTOptions().setIssuer(issuer).addAudience(audience)));
        Router router = Router.router(vertx);
        router.route().handler(JWTAuthHandler.create(tokens));
        // the token's claims: sub (the user id), username, roles, sid, exp, ...
        router.get("/hello").handler(ctx -> ctx.json(new JsonObject()
          .put("subject", ctx.user().<String>get("sub"))
          .put("username", ctx.user().<String>get("username"))
          .put("checkedBy", "jwt")));
        // a refused token: 401 with the WWW-Authenticate the handler set, and no stack trace in our log
        router.route().failureHandler(ctx -> ctx.response().setStatusCode(ctx.statusCode()).end());
        return vertx.createHttpServer().requestHandler(router).listen(port);
      })
      .onSuccess(server -> System.out.println("vertx-resource-server: http://127.0.0.1:" + server.actualPort()
        + "/hello, trusting tokens of " + issuer))
      .onFailure(err -> {
        System.err.println("vertx-resource-server: cannot start: " + err.getMessage());
        vertx.close().onComplete(done -> System.exit(1));
      });
  }

  private static Future<JsonObject> getJson(WebClient http, String url) {
    return http.getAbs(url).send().expecting(SC_OK).map(HttpResponse::bodyAsJsonObject);
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
