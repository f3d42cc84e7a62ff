package io.latchkey.common;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.latchkey.common.testing.FuzzDurations;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the JSON body readers with arbitrary request bodies: whatever the bytes, the only
 * exception that may leave {@link JsonBodies} is an {@link ApiException} with status 400, and
 * what the typed readers return keeps their promise (a canonical UUID, a whole number from the
 * minimum). Each committed input under {@code JsonBodiesFuzzTestInputs/body/} is a raw body.
 */
class JsonBodiesFuzzTest {

  /** Field names the readers are also asked for, besides the body's own ones. */
  private static final List<String> FIXED_FIELDS = List.of("userId", "token", "n", "");
  private static final long[] MINIMUMS = {0, 1, -5, Long.MIN_VALUE};

  @FuzzTest(maxDuration = FuzzDurations.ROUND)
  void body(byte[] bytes) {
    RoutingContext ctx = contextWithBody(Buffer.buffer(bytes));

    JsonObject body = readOrRefused(() -> JsonBodies.object(ctx));
    JsonObject orEmpty = readOrRefused(() -> JsonBodies.objectOrEmpty(ctx));
    for (String field : FIXED_FIELDS) {
      assertThat(outcome(() -> JsonBodies.onlyString(ctx, field)))
        .as("onlyString(%s) against the general path", field).isEqualTo(outcome(() -> generalOnlyString(ctx, field)));
    }
    if (bytes.length == 0) {
      assertThat(body).isNull();
      assertThat(orEmpty).isEqualTo(new JsonObject());
    }
    if (body == null) {
      return;
    }
    assertThat(orEmpty).isEqualTo(body);

    List<String> fields = new ArrayList<>(body.fieldNames());
    fields.addAll(FIXED_FIELDS);
    readOrRefused(() -> {
      JsonBodies.onlyFields(body, Set.copyOf(fields.subList(0, fields.size() / 2)));
      return null;
    });
    for (String field : fields) {
      String text = readOrRefused(() -> JsonBodies.string(body, field));
      assertThat(text).isEqualTo(body.getValue(field) instanceof String s ? s : null);

      String userId = readOrRefused(() -> JsonBodies.requiredUserId(body, field));
      if (userId != null) {
        assertThat(Uuids.isUuid(userId)).isTrue();
        assertThat(userId).isEqualTo(userId.toLowerCase());
      }
      String optional = readOrRefused(() -> JsonBodies.optionalUuid(body, field, "Must be a UUID."));
      if (optional != null) {
        assertThat(optional).isEqualTo(userId);
      }
      for (long min : MINIMUMS) {
        Long number = readOrRefused(() -> JsonBodies.requiredLong(body, field, min));
        if (number != null) {
          assertThat(number).isGreaterThanOrEqualTo(min);
          assertThat(body.getValue(field)).isInstanceOf(Number.class);
        }
      }
    }
  }

  /** The value read, or null when the reader refused with a 400 problem; any other exception fails the run. */
  private static <T> T readOrRefused(Supplier<T> reader) {
    try {
      return reader.get();
    } catch (ApiException e) {
      assertThat(e.status()).as("status of %s", e.code()).isEqualTo(400);
      assertThat(e.code()).isIn(ErrorCodes.MALFORMED_REQUEST, ErrorCodes.VALIDATION_FAILED);
      return null;
    }
  }

  /** What {@link JsonBodies#onlyString} must always answer: the general path it replaces on exact bodies. */
  static String generalOnlyString(RoutingContext ctx, String field) {
    JsonObject json = JsonBodies.object(ctx);
    JsonBodies.onlyFields(json, Set.of(field));
    return JsonBodies.string(json, field);
  }

  /** A reader's value, or its refusal (status, code, detail and field errors) as text. */
  static String outcome(Supplier<String> reader) {
    try {
      return "value:" + reader.get();
    } catch (ApiException e) {
      return "refused:" + e.toJson().encode();
    }
  }

  /** A routing context that knows its request body and nothing else. */
  static RoutingContext contextWithBody(Buffer buffer) {
    RequestBody body = (RequestBody) Proxy.newProxyInstance(RequestBody.class.getClassLoader(),
      new Class<?>[]{RequestBody.class}, (proxy, method, args) -> switch (method.getName()) {
        case "buffer" -> buffer;
        case "asString" -> buffer.toString();
        case "length" -> buffer.length();
        case "available" -> true;
        case "isEmpty" -> buffer.length() == 0;
        case "toString" -> "RequestBody(" + buffer.length() + " bytes)";
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == args[0];
        default -> throw new UnsupportedOperationException("RequestBody." + method.getName());
      });
    return (RoutingContext) Proxy.newProxyInstance(RoutingContext.class.getClassLoader(),
      new Class<?>[]{RoutingContext.class}, (proxy, method, args) -> switch (method.getName()) {
        case "body" -> body;
        case "toString" -> "RoutingContext(body only)";
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == args[0];
        default -> throw new UnsupportedOperationException("RoutingContext." + method.getName());
      });
  }
}
