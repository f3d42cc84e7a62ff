package io.latchkey.launcher;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import net.logstash.logback.composite.AbstractFieldJsonProvider;
import net.logstash.logback.composite.JsonWritingUtils;

import java.io.IOException;

/**
 * JSON logs: the formatted message ({@code message}), without the {@code "[<request id>] "}
 * prefix the text format shows, since {@link RequestIdJsonProvider} writes the id as a field.
 */
public final class MessageJsonProvider extends AbstractFieldJsonProvider<ILoggingEvent> {

  public MessageJsonProvider() {
    setFieldName("message");
  }

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    JsonWritingUtils.writeStringField(generator, getFieldName(), RequestIdPrefix.messageWithoutPrefix(event));
  }
}
