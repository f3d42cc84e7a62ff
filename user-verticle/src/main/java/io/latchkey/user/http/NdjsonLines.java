package io.latchkey.user.http;

import io.vertx.core.buffer.Buffer;

/**
 * Cuts a byte stream into lines at {@code \n} (a {@code \r} before it is dropped), numbered from 1.
 * A line is kept up to {@code maxBytes}; a longer one is reported as too long and the rest of it is
 * dropped as it arrives, so what this holds never exceeds {@code maxBytes} whatever the input.
 * (Vert.x's RecordParser fails the whole stream on a record over its limit.)
 */
final class NdjsonLines {

  interface Sink {
    void line(long number, Buffer line);

    void tooLong(long number);
  }

  private final int maxBytes;
  private final Sink sink;
  private Buffer current = Buffer.buffer();
  private boolean overlong;
  private long number;

  NdjsonLines(int maxBytes, Sink sink) {
    this.maxBytes = maxBytes;
    this.sink = sink;
  }

  /** The lines that {@code chunk} completes go to the sink; an unfinished last line waits for more. */
  void feed(Buffer chunk) {
    int start = 0;
    int n = chunk.length();
    for (int i = 0; i < n; i++) {
      if (chunk.getByte(i) == '\n') {
        append(chunk, start, i);
        emit();
        start = i + 1;
      }
    }
    append(chunk, start, n);
  }

  /** The end of the stream: a last line without a newline counts too. */
  void finish() {
    if (current.length() > 0 || overlong) {
      emit();
    }
  }

  /** Lines seen so far. */
  long count() {
    return number;
  }

  private void append(Buffer chunk, int from, int to) {
    if (overlong || from == to) {
      return;
    }
    if (current.length() + (to - from) > maxBytes + 1) { // + 1: room for a '\r' before the '\n'
      overlong = true;
      current = Buffer.buffer();
      return;
    }
    current.appendBuffer(chunk, from, to - from);
  }

  private void emit() {
    number++;
    if (overlong) {
      sink.tooLong(number);
    } else {
      int length = current.length();
      Buffer line = length > 0 && current.getByte(length - 1) == '\r' ? current.getBuffer(0, length - 1) : current;
      if (line.length() > maxBytes) {
        sink.tooLong(number);
      } else {
        sink.line(number, line);
      }
    }
    current = Buffer.buffer();
    overlong = false;
  }
}
