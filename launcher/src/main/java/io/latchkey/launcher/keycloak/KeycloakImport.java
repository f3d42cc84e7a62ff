package io.latchkey.launcher.keycloak;

import io.latchkey.common.ErrorCodes;
import io.latchkey.common.hash.UnsupportedHashException;
import io.latchkey.launcher.keycloak.KeycloakExport.ExportException;
import io.latchkey.launcher.keycloak.UserServiceClient.ChunkAnswer;
import io.latchkey.launcher.keycloak.UserServiceClient.ImportFailure;
import io.latchkey.launcher.keycloak.UserServiceClient.LineError;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code import-keycloak}: the users of a Keycloak realm export, read one at a time
 * ({@link KeycloakExport}), converted to import lines ({@link KeycloakUser#importLine()}) and posted
 * in chunks of {@link #CHUNK} lines ({@link UserServiceClient}). Each error the service reports
 * (by its line in the chunk) is mapped back to the username. Held at any time: one chunk and its
 * usernames, the first {@link #MAX_LISTED_ERRORS} errors, counts.
 *
 * <p>Exit status: 0 when every user was created or skipped (a re-run skips everything), 3 when some
 * users are errors (the others were imported), 1 when the import stopped (the export unreadable,
 * the service unreachable or refusing; chunks posted before stay imported, and a re-run skips them).
 */
public final class KeycloakImport {

  public static final int CHUNK = 2000;
  public static final int MAX_LISTED_ERRORS = 100;
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USER_ERRORS = 3;

  /** One user that was not imported: the username (or what stands for it), the code and the message. */
  public record UserError(String user, String code, String message) {
  }

  private final UserServiceClient service;
  private final int chunkSize;
  private final PrintStream out;
  private final PrintStream err;

  private final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
  private final List<String> chunkUsers = new ArrayList<>();
  private final List<UserError> errors = new ArrayList<>();
  private long read;
  private long created;
  private long skipped;
  private long errorCount;
  private long serviceAccounts;
  private int chunks;

  public KeycloakImport(UserServiceClient service, int chunkSize, PrintStream out, PrintStream err) {
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize");
    }
    this.service = service;
    this.chunkSize = chunkSize;
    this.out = out;
    this.err = err;
  }

  /** Runs the import of the export whose realm file is {@code realmFile}; the exit status. */
  public int run(Path realmFile) {
    try {
      KeycloakExport.Read export = KeycloakExport.read(realmFile, this::accept);
      flush();
      out.println("import-keycloak: realm " + export.realm() + ", " + export.files().size() + " file(s) read, into "
        + service.endpoint());
    } catch (ExportException | ImportFailure e) {
      err.println("import-keycloak: " + e.getMessage());
      if (chunks > 0) {
        err.println("import-keycloak: stopped after " + chunks + " chunk(s); what they imported stays, and a re-run skips it:");
        printSummary(err);
      }
      return EXIT_FAILED;
    }
    printSummary(out);
    return errorCount == 0 ? EXIT_OK : EXIT_USER_ERRORS;
  }

  private void accept(KeycloakUser user) {
    read++;
    if (user.serviceAccount()) {
      serviceAccounts++;
      return;
    }
    byte[] line;
    try {
      line = user.importLine().encode().getBytes(StandardCharsets.UTF_8);
    } catch (UnsupportedHashException e) {
      // worded as the service words a hash it refuses (validation_failed, the field named)
      error(new UserError(user.label(), ErrorCodes.VALIDATION_FAILED, "password credential: " + e.getMessage()));
      return;
    }
    chunk.writeBytes(line);
    chunk.write('\n');
    chunkUsers.add(user.label());
    if (chunkUsers.size() >= chunkSize) {
      flush();
    }
  }

  /** Posts the chunk collected so far, if any, and takes in the service's answer. */
  private void flush() {
    if (chunkUsers.isEmpty()) {
      return;
    }
    ChunkAnswer answer = service.post(chunk.toByteArray());
    chunks++;
    created += answer.created();
    skipped += answer.skipped();
    for (LineError e : answer.errors()) {
      String user = e.line() >= 1 && e.line() <= chunkUsers.size() ? chunkUsers.get((int) e.line() - 1)
        : "(line " + e.line() + " of chunk " + chunks + ")";
      error(new UserError(user, e.code(), e.message()));
    }
    long unlisted = answer.errorCount() - answer.errors().size();
    errorCount += unlisted; // counted, but the service did not list them
    if (unlisted > 0) {
      err.println("import-keycloak: chunk " + chunks + ": the service listed " + answer.errors().size() + " of its "
        + answer.errorCount() + " errors; the others are counted, not named");
    }
    chunk.reset();
    chunkUsers.clear();
  }

  private void error(UserError error) {
    errorCount++;
    if (errors.size() < MAX_LISTED_ERRORS) {
      errors.add(error);
    }
  }

  private void printSummary(PrintStream to) {
    to.println("  users read                " + read);
    to.println("  created                   " + created);
    to.println("  skipped                   " + skipped + " (username or email already taken)");
    to.println("  service accounts skipped  " + serviceAccounts);
    to.println("  errors                    " + errorCount);
    for (UserError e : errors) {
      to.println("    " + e.user() + ": " + e.code() + ": " + e.message());
    }
    if (errorCount > errors.size()) {
      to.println("    ... " + (errorCount - errors.size()) + " more not listed");
    }
  }

  public long created() {
    return created;
  }

  public long skipped() {
    return skipped;
  }

  public long serviceAccounts() {
    return serviceAccounts;
  }

  public List<UserError> errors() {
    return List.copyOf(errors);
  }
}
