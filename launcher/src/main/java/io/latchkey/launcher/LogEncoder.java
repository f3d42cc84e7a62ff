package io.latchkey.launcher;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import net.logstash.logback.composite.loggingevent.LogLevelJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggerNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventFormattedTimestampJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventJsonProviders;
import net.logstash.logback.composite.loggingevent.LoggingEventThreadNameJsonProvider;
import net.logstash.logback.composite.loggingevent.StackTraceJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;

import java.util.Locale;

/**
 * The encoder of conf/logback.xml: LOG_FORMAT ({@code format}) decides between the readable
 * line of {@code pattern} and one JSON object per line. One encoder that switches, rather than
 * one appender per format, because logback warns about (and then prints its whole status for)
 * every appender that is declared but not used.
 *
 * <p>JSON fields, in this order: {@code time} (ISO-8601, UTC, milliseconds), {@code level}, {@code logger},
 * {@code thread}, {@code requestId} (only on a request's lines), {@code message} (without the
 * {@code "[<request id>] "} prefix the text shows) and {@code stackTrace} (one string, its line
 * breaks escaped: a trace never spreads over lines; left out when {@code stackTraces} is false).
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {

  private String format = "text";
  private String pattern;
  private boolean stackTraces = true;
  private Encoder<ILoggingEvent> delegate;

  public void setFormat(String format) {
    this.format = format;
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  public void setStackTraces(boolean stackTraces) {
    this.stackTraces = stackTraces;
  }

  @Override
  public void start() {
    String chosen = format == null ? "text" : format.trim().toLowerCase(Locale.ROOT);
    if (!chosen.equals("json") && !chosen.equals("text")) {
      addError("unknown log format \"" + format + "\" (expected text or json); writing text");
      chosen = "text";
    }
    delegate = chosen.equals("json") ? json() : text();
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  private Encoder<ILoggingEvent> text() {
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setPattern(pattern);
    return text;
  }

  private Encoder<ILoggingEvent> json() {
    LoggingEventJsonProviders providers = new LoggingEventJsonProviders();
    LoggingEventFormattedTimestampJsonProvider time = new LoggingEventFormattedTimestampJsonProvider();
    time.setFieldName("time");
    time.setTimeZone("UTC");
    time.setPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"); // milliseconds, as the text lines
    providers.addTimestamp(time);
    LogLevelJsonProvider level = new LogLevelJsonProvider();
    level.setFieldName("level");
    providers.addLogLevel(level);
    LoggerNameJsonProvider logger = new LoggerNameJsonProvider();
    logger.setFieldName("logger");
    providers.addLoggerName(logger);
    LoggingEventThreadNameJsonProvider thread = new LoggingEventThreadNameJsonProvider();
    thread.setFieldName("thread");
    providers.addThreadName(thread);
    providers.addProvider(new RequestIdJsonProvider());
    providers.addProvider(new MessageJsonProvider());
    if (stackTraces) {
      StackTraceJsonProvider stackTrace = new StackTraceJsonProvider();
      stackTrace.setFieldName("stackTrace");
      providers.addStackTrace(stackTrace);
    }
    LoggingEventCompositeJsonEncoder json = new LoggingEventCompositeJsonEncoder();
    json.setProviders(providers);
    return json;
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }
}
