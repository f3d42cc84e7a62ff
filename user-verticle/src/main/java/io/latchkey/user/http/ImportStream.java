package io.latchkey.user.http;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.Replies;
import io.latchkey.common.audit.AuditContext;
import io.latchkey.user.repo.UserRepository.NewUser;
import io.latchkey.user.service.UserImport;
import io.latchkey.user.service.UserImport.LineError;
import io.latchkey.user.service.UserImport.Summary;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One import request, read as a stream (the route is mounted before the 64 KiB body handler):
 * lines are checked as they arrive, the users collect into a batch, and while a batch is being
 * inserted the request is paused (TCP back-pressure reaches the client). What this holds at any
 * time is one batch, the line being read (at most {@link #MAX_LINE_BYTES}), the lines of one
 * network chunk, and the first {@link #MAX_ERRORS} error lines: bounded whatever the body's size.
 * Runs on the request's event loop; the database and bcrypt work are futures.
 */
final class ImportStream {

  static final String MEDIA_TYPE = "application/x-ndjson";
  static final int MAX_LINE_BYTES = 16 * 1024;
  static final int BATCH = 500;
  static final int MAX_ERRORS = 1000;

  private final UserImport imports;
  private final HttpServerRequest request;
  private final Promise<Summary> done = Promise.promise();
  private final NdjsonLines lines = new NdjsonLines(MAX_LINE_BYTES, new NdjsonLines.Sink() {
    @Override
    public void line(long number, Buffer line) {
      accept(number, line);
    }

    @Override
    public void tooLong(long number) {
      error(new LineError(number, ErrorCodes.MALFORMED_LINE, "A line has at most " + MAX_LINE_BYTES + " bytes."));
    }
  });
  private final List<JsonObject> errors = new ArrayList<>();
  private List<NewUser> batch = new ArrayList<>();
  /** The bcrypt hash the users without one get, made once when the first such user comes. */
  private Future<String> resetHash;
  private long created;
  private long valid;
  private long errorCount;
  /** Users of the batch being inserted (neither created nor skipped until it is done). */
  private long inFlight;
  private boolean ended;
  private boolean inserting;

  private ImportStream(UserImport imports, HttpServerRequest request) {
    this.imports = imports;
    this.request = request;
  }

  /**
   * Reads the import of {@code ctx} (its request paused by the caller before anything
   * asynchronous) and answers 200 with the summary; its one audit event goes to {@code by}.
   */
  static Future<Void> run(UserImport imports, RoutingContext ctx, AuditContext by) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals(MEDIA_TYPE)) {
      throw new ApiException(415, "unsupported_media_type", "Send " + MEDIA_TYPE + ": one JSON object a line.");
    }
    ImportStream stream = new ImportStream(imports, ctx.request());
    return stream.read().transform(ar -> {
      Summary summary = ar.succeeded() ? ar.result() : stream.summary();
      return imports.finished(summary, ar.succeeded(), by).transform(ignored -> ar.failed()
        ? Future.failedFuture(ar.cause())
        : Future.succeededFuture(Replies.json(ctx, 200, stream.answer(summary))));
    });
  }

  private Future<Summary> read() {
    request.handler(chunk -> {
      lines.feed(chunk);
      next();
    });
    request.endHandler(v -> {
      lines.finish();
      ended = true;
      next();
    });
    request.exceptionHandler(done::tryFail);
    request.resume();
    return done.future();
  }

  private void accept(long number, Buffer line) {
    if (isBlank(line)) {
      return; // a blank line (a trailing newline, an empty line) is no user
    }
    NewUser user;
    try {
      user = imports.parse(line);
    } catch (RuntimeException e) {
      error(UserImport.refusal(number, e));
      return;
    }
    valid++;
    batch.add(user);
  }

  private void error(LineError error) {
    errorCount++;
    if (errors.size() < MAX_ERRORS) {
      errors.add(new JsonObject().put("line", error.line()).put("code", error.code()).put("message", error.message()));
    }
  }

  /** Inserts a full batch (the request paused meanwhile), or the last one at the end; then answers. */
  private void next() {
    if (inserting || done.future().isComplete()) {
      return;
    }
    if (batch.size() >= BATCH || ended && !batch.isEmpty()) {
      inserting = true;
      request.pause();
      List<NewUser> full = batch;
      batch = new ArrayList<>();
      inFlight = full.size();
      withHashes(full).compose(imports::insert).onComplete(ar -> {
        inserting = false;
        if (ar.failed()) {
          done.tryFail(ar.cause());
          return;
        }
        created += ar.result();
        inFlight = 0;
        if (!ended) {
          request.resume();
        }
        next();
      });
    } else if (ended) {
      done.tryComplete(summary());
    }
  }

  /** The batch with the reset hash given to its users that came without a hash. */
  private Future<List<NewUser>> withHashes(List<NewUser> users) {
    if (users.stream().allMatch(u -> u.passwordHash() != null)) {
      return Future.succeededFuture(users);
    }
    if (resetHash == null) {
      resetHash = imports.resetHash();
    }
    return resetHash.map(hash -> users.stream().map(u -> u.passwordHash() != null ? u
      : new NewUser(u.id(), u.username(), u.email(), u.displayName(), u.roles(), u.emailVerified(), u.disabled(), hash)).toList());
  }

  /** The counts so far: users of a batch not yet inserted count as neither created nor skipped. */
  private Summary summary() {
    return new Summary(created, valid - created - batch.size() - inFlight, errorCount);
  }

  private JsonObject answer(Summary summary) {
    return new JsonObject().put("created", summary.created()).put("skipped", summary.skipped())
      .put("errors", new JsonArray(errors)).put("errorCount", summary.errors());
  }

  private static boolean isBlank(Buffer line) {
    for (int i = 0; i < line.length(); i++) {
      byte b = line.getByte(i);
      if (b != ' ' && b != '\t') {
        return false;
      }
    }
    return true;
  }
}
