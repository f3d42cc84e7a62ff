package io.latchkey.common;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;

/**
 * The one place where failures become HTTP responses: RFC 9457 problem documents with the
 * codes of {@link ErrorCodes}. No stack trace or SQL text ever reaches a response; unexpected failures are
 * logged here with the request id and answered 500 {@code internal_error}.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(ProblemHandler.class);
  public static final String CONTENT_TYPE = "application/problem+json";

  /** Installs the failure handler and the 404/405 handlers on a router. */
  public static void install(Router router) {
    ProblemHandler handler = new ProblemHandler();
    router.route().failureHandler(handler);
    router.errorHandler(404, ctx -> write(ctx, new ApiException(404, ErrorCodes.NOT_FOUND, "No resource at this path.")));
    router.errorHandler(405, ctx -> write(ctx, new ApiException(405, ErrorCodes.METHOD_NOT_ALLOWED, "This method is not allowed on this path.")));
    router.errorHandler(413, ctx -> write(ctx, payloadTooLarge()));
    router.errorHandler(500, handler);
  }

  @Override
  public void handle(RoutingContext ctx) {
    write(ctx, toApiException(ctx));
  }

  private static ApiException payloadTooLarge() {
    return new ApiException(413, ErrorCodes.PAYLOAD_TOO_LARGE, "The request body is larger than 64 KiB.");
  }

  static ApiException toApiException(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure == null || failure instanceof HttpException) {
      int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
      return switch (status) {
        case 400 -> ApiException.malformed("The request could not be read.");
        case 404 -> new ApiException(404, ErrorCodes.NOT_FOUND, "No resource at this path.");
        case 405 -> new ApiException(405, ErrorCodes.METHOD_NOT_ALLOWED, "This method is not allowed on this path.");
        case 413 -> payloadTooLarge();
        case 415 -> new ApiException(415, "unsupported_media_type", "Send application/json.");
        case 431 -> new ApiException(431, ErrorCodes.HEADERS_TOO_LARGE, "The request headers are too large.");
        default -> internal(ctx, failure);
      };
    }
    if (failure instanceof RejectedExecutionException) {
      return ApiException.overloaded();
    }
    if (DbErrors.isUnavailable(failure)) {
      LOG.warn("[{}] database unavailable: {}", RequestIds.of(ctx), failure.toString());
      return ApiException.databaseUnavailable();
    }
    return internal(ctx, failure);
  }

  private static ApiException internal(RoutingContext ctx, Throwable failure) {
    LOG.error("[{}] unexpected failure on {} {}", RequestIds.of(ctx), ctx.request().method(), ctx.request().path(), failure);
    return new ApiException(500, ErrorCodes.INTERNAL_ERROR, "An unexpected error occurred; the request id names it in our logs.");
  }

  /** Writes a problem document, unless a response was already sent. */
  public static void write(RoutingContext ctx, ApiException e) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    JsonObject body = new JsonObject()
      .put("type", "https://latchkey.dev/problems/" + e.code().replace('_', '-'))
      .put("title", title(e.status()))
      .put("status", e.status())
      .put("detail", e.detail())
      .put("code", e.code());
    if (!e.errors().isEmpty()) {
      JsonArray errors = new JsonArray();
      e.errors().forEach(err -> errors.add(err.toJson()));
      body.put("errors", errors);
    }
    String rid = ctx.get(RequestIds.KEY);
    if (rid != null) {
      body.put("requestId", rid);
    }
    e.headers().forEach(response::putHeader);
    response.setStatusCode(e.status())
      .putHeader("Content-Type", CONTENT_TYPE)
      .putHeader("Cache-Control", "no-store")
      .end(body.encode());
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Payload Too Large";
      case 415 -> "Unsupported Media Type";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }
}
