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

  /**
   * The statuses Vert.x Web may answer by itself, before or outside any route (a path whose
   * percent-escapes do not decode is failed with 400 before routing, so no failure handler of a
   * route sees it): each gets an error handler writing a problem document instead of Vert.x's
   * plain-text body.
   */
  private static final int[] ROUTER_STATUSES = {400, 401, 403, 404, 405, 406, 411, 413, 414, 415, 431, 501, 503};

  /** Installs the failure handler and the router's error handlers (every status it may answer by itself). */
  public static void install(Router router) {
    ProblemHandler handler = new ProblemHandler();
    router.route().failureHandler(handler);
    for (int status : ROUTER_STATUSES) {
      router.errorHandler(status, ctx -> write(ctx, toApiException(ctx, status)));
    }
    router.errorHandler(500, handler);
  }

  @Override
  public void handle(RoutingContext ctx) {
    write(ctx, toApiException(ctx));
  }

  private static ApiException payloadTooLarge() {
    return new ApiException(413, ErrorCodes.PAYLOAD_TOO_LARGE, "The request body is larger than 64 KiB.");
  }

  /** The failure of an error handler registered for {@code status}: the failure when it is ours, else the status. */
  private static ApiException toApiException(RoutingContext ctx, int status) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    ApiException known = forStatus(status);
    return known != null ? known : internal(ctx, failure);
  }

  /** The problem for a status Vert.x (Web or core) answers by itself; null for one that must not happen (a 5xx). */
  public static ApiException forStatus(int status) {
    return switch (status) {
      case 400 -> ApiException.malformed("The request could not be read (for example a malformed percent-escape in its path or query).");
      case 401 -> ApiException.invalidToken("Credentials are required.");
      case 403 -> ApiException.forbidden("This request is not allowed.");
      case 404 -> new ApiException(404, ErrorCodes.NOT_FOUND, "No resource at this path.");
      case 405 -> new ApiException(405, ErrorCodes.METHOD_NOT_ALLOWED, "This method is not allowed on this path.");
      case 406 -> new ApiException(406, "not_acceptable", "This resource is only available as JSON.");
      case 411 -> new ApiException(411, "length_required", "Send a Content-Length.");
      case 413 -> payloadTooLarge();
      case 414 -> new ApiException(414, "uri_too_long", "The request line is too long.");
      case 415 -> new ApiException(415, "unsupported_media_type", "Send application/json.");
      case 431 -> new ApiException(431, ErrorCodes.HEADERS_TOO_LARGE, "The request headers are too large.");
      case 501 -> new ApiException(501, "not_implemented", "This method is not supported.");
      case 503 -> ApiException.unavailable(ErrorCodes.OVERLOADED, "The service cannot answer now; try again shortly.");
      default -> null;
    };
  }

  static ApiException toApiException(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure == null || failure instanceof HttpException) {
      int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
      ApiException known = forStatus(status);
      return known != null ? known : internal(ctx, failure);
    }
    if (failure instanceof IllegalArgumentException && isDecodingFailure(failure)) {
      // a query parameter whose percent-escapes do not decode, read by a handler
      return ApiException.malformed("The request could not be read (a malformed percent-escape).");
    }
    if (failure instanceof io.netty.handler.codec.DecoderException) {
      // the body decoder of a form (Vert.x's BodyHandler hands form bodies to Netty's decoder before
      // any route sees them): a bad %-escape; its message quotes the body, so it is never logged
      return ApiException.malformed("The request body could not be read as a form.");
    }
    if (failure instanceof RejectedExecutionException) {
      return ApiException.overloaded();
    }
    if (DbErrors.isUnavailable(failure)) {
      LOG.warn("[{}] database unavailable: {}", RequestIds.of(ctx), failure.toString());
      return ApiException.databaseUnavailable();
    }
    // a Vert.x Web handler that refuses a request with a status and an exception of its own (CORS:
    // 403 and a VertxException for an origin not allowed): that status's problem, not a 500
    int status = ctx.statusCode();
    if (status >= 400 && status < 500 && forStatus(status) != null) {
      return forStatus(status);
    }
    return internal(ctx, failure);
  }

  /** Vert.x's URL decoders throw IllegalArgumentException from io.netty / io.vertx decoding code. */
  private static boolean isDecodingFailure(Throwable failure) {
    for (StackTraceElement frame : failure.getStackTrace()) {
      String cls = frame.getClassName();
      if (cls.contains("QueryStringDecoder") || cls.contains("URIDecoder") || cls.endsWith("HttpUtils")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Writes a problem document straight on a request the HTTP codec could not read (bad request
   * line, headers too large, URI too long): Vert.x core's own answer to it has no body. For
   * {@code HttpServer.invalidRequestHandler}.
   */
  public static void writeInvalid(io.vertx.core.http.HttpServerRequest request) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    io.netty.handler.codec.DecoderResult result = request.decoderResult();
    Throwable cause = result == null ? null : result.cause();
    int status = cause instanceof io.netty.handler.codec.http.TooLongHttpLineException ? 414
      : cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException ? 431 : 400;
    ApiException e = status == 400 ? ApiException.malformed("The request could not be read as HTTP.") : forStatus(status);
    JsonObject body = problem(e);
    response.setStatusCode(e.status())
      .putHeader("Content-Type", CONTENT_TYPE)
      .putHeader("Cache-Control", "no-store")
      .putHeader("Connection", "close")
      .end(body.encode())
      .onComplete(ar -> request.connection().close());
  }

  private static ApiException internal(RoutingContext ctx, Throwable failure) {
    // the type and the stack, never the message: an exception's message may quote the request
    Throwable logged = failure;
    if (failure != null) {
      logged = new Throwable(failure.getClass().getName() + " (message not logged)");
      logged.setStackTrace(failure.getStackTrace());
    }
    LOG.error("[{}] unexpected failure on {} {}", RequestIds.of(ctx), ctx.request().method(), ctx.request().path(), logged);
    return new ApiException(500, ErrorCodes.INTERNAL_ERROR, "An unexpected error occurred; the request id names it in our logs.");
  }

  /** The RFC 9457 fields every problem document of ours has. */
  private static JsonObject problem(ApiException e) {
    return new JsonObject()
      .put("type", "https://latchkey.dev/problems/" + e.code().replace('_', '-'))
      .put("title", title(e.status()))
      .put("status", e.status())
      .put("detail", e.detail())
      .put("code", e.code());
  }

  /** Writes a problem document, unless a response was already sent. */
  public static void write(RoutingContext ctx, ApiException e) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    JsonObject body = problem(e);
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
      case 406 -> "Not Acceptable";
      case 409 -> "Conflict";
      case 411 -> "Length Required";
      case 413 -> "Payload Too Large";
      case 414 -> "URI Too Long";
      case 415 -> "Unsupported Media Type";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }
}
