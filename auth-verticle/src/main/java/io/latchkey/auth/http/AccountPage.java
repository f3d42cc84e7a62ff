package io.latchkey.auth.http;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The account page's files, {@code GET /account/...}: every file of the {@code account/}
 * resource directory of a known type (HTML, CSS, JavaScript, text, SVG, PNG), read once at start
 * into memory and served with an ETag, so a request never touches the file system and no path
 * can reach anything else. {@code /account/}, {@code /account/reset-password} and
 * {@code /account/verify-email} (the mail links) are {@code index.html}; {@code /account} moves
 * to {@code /account/}; {@code /account/config.json} tells the page where the user service is.
 *
 * <p>Every answer under {@code /account} carries a Content-Security-Policy that lets the page load
 * only its own files and talk only to this service and the user service (no inline script or
 * style, no eval, no frame, no form submission), and refuses framing and sniffing.
 */
public final class AccountPage {

  /** The resource directory the page's files come from. */
  public static final String RESOURCE_DIR = "account";
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Map<String, String> TYPES = Map.of(
    "html", "text/html; charset=utf-8",
    "css", "text/css; charset=utf-8",
    "js", "text/javascript; charset=utf-8",
    "mjs", "text/javascript; charset=utf-8",
    "txt", "text/plain; charset=utf-8",
    "svg", "image/svg+xml",
    "png", "image/png");

  /** A file in memory: its bytes, media type and strong ETag. */
  record Asset(Buffer body, String contentType, String etag) {
  }

  private final Map<String, Asset> assets;
  private final String contentSecurityPolicy;
  private final String config;

  /**
   * @param assets               file name to file
   * @param userServicePublicUrl the user service's URL as a browser reaches it (USER_SERVICE_PUBLIC_URL)
   */
  AccountPage(Map<String, Asset> assets, String userServicePublicUrl) {
    if (!assets.containsKey("index.html")) {
      throw new IllegalStateException("the account page has no " + RESOURCE_DIR + "/index.html on the class path");
    }
    this.assets = Map.copyOf(assets);
    String userService = stripSlash(userServicePublicUrl);
    this.contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self' " + origin(userService) + "; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
    this.config = new JsonObject().put("userServiceUrl", userService).encode();
  }

  /** The page from the class path's {@code account/} directory (a directory, or a directory in a jar). */
  public static AccountPage fromClassPath(String userServicePublicUrl) {
    return new AccountPage(load(AccountPage.class.getClassLoader()), userServicePublicUrl);
  }

  public String contentSecurityPolicy() {
    return contentSecurityPolicy;
  }

  public void mount(Router router) {
    router.route().pathRegex("/account(?:/.*)?").handler(this::headers);
    // Vert.x may match either route for either path (it forgives a trailing slash), so both decide by the path itself
    router.get("/account/").handler(this::root);
    router.get("/account").handler(this::root);
    router.get("/account/reset-password").handler(ctx -> serve(ctx, "index.html"));
    router.get("/account/verify-email").handler(ctx -> serve(ctx, "index.html"));
    router.get("/account/config.json").handler(ctx -> ctx.response()
      .putHeader("Content-Type", "application/json").end(config));
    router.get("/account/:file").handler(ctx -> serve(ctx, ctx.pathParam("file")));
  }

  /**
   * {@code /account/}: the page; {@code /account}: moved to {@code account/}, relative, so that it
   * stays right when a balancer mounts this service under a path (and the page's relative links work).
   */
  private void root(RoutingContext ctx) {
    if (ctx.request().path().endsWith("/")) {
      serve(ctx, "index.html");
    } else {
      ctx.response().setStatusCode(301).putHeader("Location", "account/").end();
    }
  }

  private void headers(RoutingContext ctx) {
    ctx.response()
      .putHeader("Content-Security-Policy", contentSecurityPolicy)
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("X-Frame-Options", "DENY")
      .putHeader("Referrer-Policy", "no-referrer")
      .putHeader("Cross-Origin-Opener-Policy", "same-origin")
      .putHeader("Cross-Origin-Resource-Policy", "same-origin")
      .putHeader("Cache-Control", "no-cache");
    ctx.next();
  }

  private void serve(RoutingContext ctx, String name) {
    Asset asset = assets.get(name);
    if (asset == null) {
      ctx.fail(new ApiException(404, ErrorCodes.NOT_FOUND, "The account page has no file " + name + "."));
      return;
    }
    ctx.response().putHeader("ETag", asset.etag());
    if (asset.etag().equals(ctx.request().getHeader("If-None-Match"))) {
      ctx.response().setStatusCode(304).end();
      return;
    }
    ctx.response().putHeader("Content-Type", asset.contentType()).end(asset.body());
  }

  static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** {@code scheme://host[:port]} of an absolute URL. */
  static String origin(String url) {
    try {
      URI uri = new URI(url);
      return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost().toLowerCase(Locale.ROOT)
        + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + url, e);
    }
  }

  /** The path of an absolute URL without its trailing slash ("" for none). */
  static String path(String url) {
    try {
      String path = new URI(url).getRawPath();
      return path == null ? "" : stripSlash(path);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + url, e);
    }
  }

  /** Every file of a known type directly in {@link #RESOURCE_DIR}, from a directory or a jar. */
  static Map<String, Asset> load(ClassLoader loader) {
    URL index = loader.getResource(RESOURCE_DIR + "/index.html");
    if (index == null) {
      return Map.of();
    }
    Map<String, Asset> assets = new HashMap<>();
    try {
      if ("jar".equals(index.getProtocol())) {
        JarURLConnection connection = (JarURLConnection) index.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          for (JarEntry entry : Collections.list((Enumeration<JarEntry>) jar.entries())) {
            String name = entry.getName();
            if (!entry.isDirectory() && name.startsWith(RESOURCE_DIR + "/")) {
              try (InputStream in = jar.getInputStream(entry)) {
                add(assets, name.substring(RESOURCE_DIR.length() + 1), in.readAllBytes());
              }
            }
          }
        }
      } else {
        Path dir = Paths.get(index.toURI()).getParent();
        try (Stream<Path> files = Files.list(dir)) {
          for (Path file : files.filter(Files::isRegularFile).toList()) {
            add(assets, file.getFileName().toString(), Files.readAllBytes(file));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the account page's files", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("could not read the account page's files", e);
    }
    return assets;
  }

  private static void add(Map<String, Asset> assets, String name, byte[] bytes) {
    int dot = name.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    if (type == null || !FILE_NAME.matcher(name).matches()) {
      return;
    }
    assets.put(name, new Asset(Buffer.buffer(bytes), type, etag(bytes)));
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
