package io.latchkey.auth.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fixture lifecycle of an {@link AuthTest} class: starts its {@link AuthFixture} before the
 * class (or at the first parameter that asks for it), resolves {@link AuthFixture} and
 * {@link FakeUserService} parameters, and closes the fixture after the class.
 */
public final class AuthExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final Namespace NAMESPACE = Namespace.create(AuthExtension.class);
  private static final String FIXTURE = "fixture";

  /** The settings of a class registered with {@code @ExtendWith} but without {@link AuthTest}. */
  @AuthTest
  private static final class Defaults {
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    fixture(context);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    // a nested class finds its enclosing class's fixture, but only the class that stored it removes and closes it
    AuthFixture fixture = context.getStore(NAMESPACE).remove(FIXTURE, AuthFixture.class);
    if (fixture != null) {
      fixture.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == AuthFixture.class || type == FakeUserService.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    AuthFixture fixture = fixture(context);
    return parameter.getParameter().getType() == FakeUserService.class ? fixture.users : fixture;
  }

  /** The class's fixture, started on first use; {@code getOrComputeIfAbsent} finds it from a method's context too. */
  private static AuthFixture fixture(ExtensionContext context) {
    return context.getStore(NAMESPACE).getOrComputeIfAbsent(FIXTURE, key -> start(settingsOf(context.getRequiredTestClass())),
      AuthFixture.class);
  }

  private static AuthTest settingsOf(Class<?> testClass) {
    return AnnotationSupport.findAnnotation(testClass, AuthTest.class)
      .orElseGet(() -> Defaults.class.getAnnotation(AuthTest.class));
  }

  private static AuthFixture start(AuthTest settings) {
    if (settings.nodes() < 1) {
      throw new IllegalArgumentException("@AuthTest wants 1 or more nodes: " + settings);
    }
    Map<Integer, Map<String, String>> perNode = new HashMap<>();
    for (AuthTest.NodeSettings node : settings.perNode()) {
      if (node.node() < 0 || node.node() >= settings.nodes() || perNode.containsKey(node.node())) {
        throw new IllegalArgumentException("@AuthTest perNode names node " + node.node() + " twice or out of 0.." + (settings.nodes() - 1));
      }
      perNode.put(node.node(), overrides(node.value()));
    }
    DatabaseSetup before;
    try {
      before = settings.before().getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("@AuthTest before: " + settings.before().getName() + " needs a public no-argument constructor", e);
    }
    return AuthFixture.start(settings.nodes(), overrides(settings.settings()), perNode, before);
  }

  private static Map<String, String> overrides(String[] settings) {
    Map<String, String> overrides = new LinkedHashMap<>();
    for (String setting : settings) {
      int eq = setting.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("@AuthTest settings are NAME=value, not: " + setting);
      }
      overrides.put(setting.substring(0, eq), setting.substring(eq + 1));
    }
    return Map.copyOf(overrides);
  }
}
