package io.latchkey.common;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.latchkey.common.JsonBodiesFuzzTest.contextWithBody;
import static io.latchkey.common.JsonBodiesFuzzTest.generalOnlyString;
import static io.latchkey.common.JsonBodiesFuzzTest.outcome;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link JsonBodies#onlyString}: its streaming shortcut answers as the general path does, value or refusal. */
class JsonBodiesTest {

  private static final List<String> BODIES = List.of(
    "{\"token\":\"abc.def.ghi\"}",
    "{ \"token\" : \"abc\" }\n",
    " {\"token\":\"abc\"}",
    "{\"token\":\"a\\u00e9\\ud83d\\ude00\"}",
    "{\"token\":\"\"}",
    "{\"token\":null}",
    "{}",
    "{\"token\":\"a\",\"token\":\"b\"}",
    "{\"token\":\"a\",\"other\":1}",
    "{\"other\":\"a\"}",
    "{\"token\":1}",
    "{\"token\":[\"a\"]}",
    "{\"token\":\"a\\u0000b\"}",
    "{\"token\":\"\\ud800\"}",
    "{\"token\":\"a\"} x",
    "{\"token\":\"a\"}{}",
    "{\"token\":\"a\"",
    "{\"token\":'a'}",
    "{\"token\":\"a\"/* c */}",
    "[\"token\"]",
    "\"token\"",
    "",
    "{");

  @Test
  void answersEveryBodyAsTheGeneralPath() {
    for (String text : BODIES) {
      assertSame(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8)), text);
    }
    assertSame(Buffer.buffer("{\"token\":\"abc\"}".getBytes(StandardCharsets.UTF_16)), "UTF-16");
    assertSame(Buffer.buffer(new byte[]{'{', '"', 't', 'o', 'k', 'e', 'n', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}), "not UTF-8");
    assertSame(Buffer.buffer(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}), "BOM");
  }

  @Test
  void readsTheExactShapeWithoutTheGeneralPath() {
    assertThat(JsonBodies.exactlyOneStringField(Buffer.buffer("{\"token\":\"abc.def\"}"), "token")).isEqualTo("abc.def");
    assertThat(JsonBodies.exactlyOneStringField(Buffer.buffer("{\"token\":\"a\",\"token\":\"b\"}"), "token")).isNull();
    assertThat(JsonBodies.exactlyOneStringField(Buffer.buffer("{\"token\":\"a\"} x"), "token")).isNull();
    assertThat(JsonBodies.exactlyOneStringField(Buffer.buffer("{\"refreshToken\":\"a\"}"), "token")).isNull();
  }

  private static void assertSame(Buffer body, String label) {
    for (String field : List.of("token", "refreshToken")) {
      assertThat(outcome(() -> JsonBodies.onlyString(contextWithBody(body), field)))
        .as("%s, field %s", label, field)
        .isEqualTo(outcome(() -> generalOnlyString(contextWithBody(body), field)));
    }
  }
}
