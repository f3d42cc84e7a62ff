package io.latchkey.launcher;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import net.logstash.logback.composite.AbstractFieldJsonProvider;
import net.logstash.logback.composite.JsonWritingUtils;

import java.io.IOException;

/** JSON logs: the request id of the event as its own field ({@code requestId}), absent outside requests. */
public final class RequestIdJsonProvider extends AbstractFieldJsonProvider<ILoggingEvent> {

  public RequestIdJsonProvider() {
    setFieldName("requestId");
  }

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    JsonWritingUtils.writeStringField(generator, getFieldName(), RequestIdPrefix.requestId(event));
  }
}
