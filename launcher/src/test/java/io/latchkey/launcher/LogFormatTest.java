package io.latchkey.launcher;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The logback configuration the launcher uses (conf/logback.xml, and its fallback copy in the
 * jar) in both formats: LOG_FORMAT=json writes one parseable object per line with the request id
 * as its own field and a stack trace inside the object; the text format stays what it was.
 */
class LogFormatTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final List<Path> CONFIGURATIONS = List.of(ROOT.resolve("conf/logback.xml"),
    ROOT.resolve("launcher/src/main/resources/logback.xml"));

  /** Configures a private logger context from {@code file} with LOG_FORMAT={@code format}, runs {@code logging}, returns stdout. */
  private static List<String> output(String file, String format, Consumer<LoggerContext> logging) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    context.putProperty("LOG_FORMAT", format);
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(Path.of(file).toFile());
      assertThat(new StatusUtil(context).getHighestLevel(0)).as("logback's own warnings or errors: "
        + context.getStatusManager().getCopyOfStatusList()).isEqualTo(Status.INFO);
      logging.accept(context);
    } finally {
      context.stop();
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private static void sample(LoggerContext context) {
    Logger log = context.getLogger("io.latchkey.auth.login.LoginService");
    log.info("[{}] login of user {} succeeded", "3f2a9c1e-7d41-4a8e-9b0c-5e6f7a8b9c0d", "u-1");
    log.warn("cluster has {} members", 2);
    log.error("[{}] the user service sent credentials this service cannot read", "req.42",
      new IllegalStateException("bad \"payload\"\nsecond line"));
    log.info("[{}] not a request id, kept in the message", "two words");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1})
  void jsonIsOneObjectPerLineWithTheRequestIdAsItsOwnField(int which) throws Exception {
    List<String> lines = output(CONFIGURATIONS.get(which).toString(), "json", LogFormatTest::sample);

    assertThat(lines).as("one line per event, the stack trace inside its object").hasSize(4);
    List<JsonObject> events = lines.stream().map(JsonObject::new).toList();
    for (JsonObject event : events) {
      assertThat(event.fieldNames()).contains("time", "level", "logger", "thread", "message");
      assertThat(event.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(event.getString("logger")).isEqualTo("io.latchkey.auth.login.LoginService");
      assertThat(event.getString("thread")).isEqualTo(Thread.currentThread().getName());
    }

    assertThat(events.get(0).getString("level")).isEqualTo("INFO");
    assertThat(events.get(0).getString("requestId")).isEqualTo("3f2a9c1e-7d41-4a8e-9b0c-5e6f7a8b9c0d");
    assertThat(events.get(0).getString("message")).as("the prefix is lifted into requestId")
      .isEqualTo("login of user u-1 succeeded");

    assertThat(events.get(1).containsKey("requestId")).as("no request, no requestId").isFalse();
    assertThat(events.get(1).getString("message")).isEqualTo("cluster has 2 members");

    JsonObject error = events.get(2);
    assertThat(error.getString("level")).isEqualTo("ERROR");
    assertThat(error.getString("requestId")).isEqualTo("req.42");
    assertThat(error.getString("stackTrace")).startsWith("java.lang.IllegalStateException: bad \"payload\"\nsecond line")
      .contains("\tat io.latchkey.launcher.LogFormatTest.sample");

    assertThat(events.get(3).containsKey("requestId")).isFalse();
    assertThat(events.get(3).getString("message")).isEqualTo("[two words] not a request id, kept in the message");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1})
  void textIsTheReadableLineItWasWithTheRequestIdInTheMessage(int which) throws Exception {
    List<String> lines = output(CONFIGURATIONS.get(which).toString(), "text", LogFormatTest::sample);

    String ts = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    String thread = java.util.regex.Pattern.quote("[" + Thread.currentThread().getName() + "]");
    assertThat(lines.get(0)).matches(ts + " INFO  " + thread
      + " i\\.l\\.auth\\.login\\.LoginService - \\[3f2a9c1e-7d41-4a8e-9b0c-5e6f7a8b9c0d\\] login of user u-1 succeeded");
    assertThat(lines.get(1)).matches(ts + " WARN  " + thread + " i\\.l\\.auth\\.login\\.LoginService - cluster has 2 members");
    assertThat(lines.get(2)).endsWith("ERROR " + "[" + Thread.currentThread().getName() + "]"
      + " i.l.auth.login.LoginService - [req.42] the user service sent credentials this service cannot read");
    assertThat(lines.get(3)).isEqualTo("java.lang.IllegalStateException: bad \"payload\"");
    assertThat(lines).anyMatch(l -> l.startsWith("\tat io.latchkey.launcher.LogFormatTest.sample"));
  }

  @Test
  void theJarsFallbackConfigurationIsTheSameAsConfs() throws Exception {
    String conf = Files.readString(CONFIGURATIONS.get(0));
    String fallback = Files.readString(CONFIGURATIONS.get(1));
    assertThat(fallback.substring(fallback.indexOf("<configuration>")))
      .isEqualTo(conf.substring(conf.indexOf("<configuration>")));
  }
}
