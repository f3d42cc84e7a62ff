package io.latchkey.launcher;

/** Bad command line or launcher setting: printed as one line, exit status 2. */
public final class UsageException extends RuntimeException {

  public UsageException(String message) {
    super(message, null, false, false);
  }
}
