package io.latchkey.auth.session;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** TokenPair.encode writes what toJson encodes, and falls back to it for anything that would need escaping. */
class TokenPairTest {

  @Test
  void theDirectEncodingIsTheSameJsonAsToJson() {
    TokenPair pair = new TokenPair("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln-_", "rt1.AAAA-_zz", 900, 2_592_000,
      "0b9a6c1e-3f2d-4c5b-9a8e-7d6c5b4a3f21");

    String encoded = pair.encode();

    assertThat(new JsonObject(encoded)).isEqualTo(pair.toJson());
    assertThat(encoded).isEqualTo(pair.toJson().encode());
  }

  @Test
  void valuesThatWouldNeedEscapingGoThroughJackson() {
    for (String odd : new String[] {"a\"b", "a\\b", "a\nb", "é", "a b", "a</script>"}) {
      TokenPair pair = new TokenPair(odd, odd, 1, 2, odd);
      assertThat(new JsonObject(pair.encode())).as(odd).isEqualTo(pair.toJson());
    }
  }
}
