package io.latchkey.auth.http;

import io.latchkey.common.Replies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

import java.util.List;

/**
 * The discovery documents: {@code GET /.well-known/openid-configuration} (OpenID Connect
 * Discovery) and {@code GET /.well-known/oauth-authorization-server} (RFC 8414), one JSON for
 * both, built once from the issuer, the public URL and the keys' algorithms. It says only
 * what is true of this service, so that a stock client configured with the issuer URL alone
 * (Spring Security's {@code issuer-uri}, npm {@code jose}) finds the keys and the endpoints:
 *
 * <ul>
 *   <li>{@code response_types_supported} and {@code grant_types_supported} are empty arrays: both
 *       specifications require the first (parsers such as Nimbus's refuse a document without it),
 *       and left out, RFC 8414 would default them to the authorization-code and implicit flows,
 *       which this service does not offer (it has no authorization or token endpoint, so no
 *       {@code token_endpoint_auth_methods_supported} either);</li>
 *   <li>{@code subject_types_supported} is {@code ["public"]} (OIDC requires it; {@code sub} is
 *       the user id, the same for every client);</li>
 *   <li>{@code id_token_signing_alg_values_supported} names the algorithm of the signing key, for
 *       clients that insist on the field (no ID token is issued; access tokens use the same key),
 *       and after it, during a rotation from a key of the other algorithm, that algorithm too:
 *       clients that take their allowed algorithms from this field (as our npm jose check does)
 *       would otherwise refuse the previous key's live tokens.</li>
 * </ul>
 */
public final class DiscoveryRoutes {

  public static final String OPENID_CONFIGURATION = "/.well-known/openid-configuration";
  public static final String OAUTH_AUTHORIZATION_SERVER = "/.well-known/oauth-authorization-server";
  /** Our extension value of {@code introspection_endpoint_auth_methods_supported}: the key in the X-API-Key header. */
  public static final String API_KEY_AUTH_METHOD = "x_api_key";

  private final String document;

  /** @param algorithms the signing key's algorithm first, then those of the previous keys ({@code JwtKeys#verificationAlgorithms}) */
  public DiscoveryRoutes(String issuer, String publicUrl, List<String> algorithms) {
    this.document = document(issuer, publicUrl, algorithms).encode();
  }

  public void mount(Router router) {
    router.get(OPENID_CONFIGURATION).handler(ctx -> Replies.publicJson(ctx, document));
    router.get(OAUTH_AUTHORIZATION_SERVER).handler(ctx -> Replies.publicJson(ctx, document));
  }

  /** The document; every URL is {@code publicUrl} (without a trailing slash) and the route's path. */
  public static JsonObject document(String issuer, String publicUrl, List<String> algorithms) {
    String base = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    return new JsonObject()
      .put("issuer", issuer)
      .put("jwks_uri", base + "/.well-known/jwks.json")
      .put("introspection_endpoint", base + "/auth/introspect")
      .put("introspection_endpoint_auth_methods_supported", new JsonArray().add("client_secret_basic").add(API_KEY_AUTH_METHOD))
      .put("revocation_endpoint", base + "/auth/revoke")
      .put("revocation_endpoint_auth_methods_supported", new JsonArray().add("none"))
      .put("id_token_signing_alg_values_supported", new JsonArray(List.copyOf(algorithms)))
      .put("subject_types_supported", new JsonArray().add("public"))
      .put("response_types_supported", new JsonArray())
      .put("grant_types_supported", new JsonArray());
  }
}
