package io.latchkey.user.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;

/** The formatted lines the service's loggers ({@code io.latchkey}) write while it is attached: for "never logged" assertions. */
public final class CapturedLogs implements AutoCloseable {

  private final Logger logger = (Logger) LoggerFactory.getLogger("io.latchkey");
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  /** Starts capturing at once; {@link #close} stops. */
  public CapturedLogs() {
    appender.start();
    logger.addAppender(appender);
  }

  public List<String> lines() {
    return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
