package io.latchkey.user.testing;

import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestNodes;
import io.latchkey.common.testing.TestPostgres;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;

/**
 * The node lifecycle of a {@link UserServiceTest} class: starts its clustered nodes and user
 * services before the class (or at the first parameter that asks for them), resolves
 * {@link UserServiceFixture} and {@link Vertx} parameters ({@link OnNode} for another node than
 * the first), and after the class stops the services and then closes the nodes, last started
 * first. A class that uses it does not also use vertx-junit5's {@code VertxExtension}: both
 * would resolve {@code Vertx}.
 */
public final class UserServiceExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final Namespace NAMESPACE = Namespace.create(UserServiceExtension.class);
  private static final String STACK = "stack";

  /** The settings of a class registered with {@code @ExtendWith} but without {@link UserServiceTest}. */
  @UserServiceTest
  private static final class Defaults {
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    stack(context);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    // a nested class finds its enclosing class's stack, but only the class that stored it removes and stops it
    Stack stack = context.getStore(NAMESPACE).remove(STACK, Stack.class);
    if (stack != null) {
      stack.stop();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == UserServiceFixture.class || type == Vertx.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Stack stack = stack(context);
    int index = parameter.findAnnotation(OnNode.class).map(OnNode::value).orElse(0);
    List<?> candidates = parameter.getParameter().getType() == Vertx.class ? stack.nodes : stack.services;
    if (index < 0 || index >= candidates.size()) {
      throw new ParameterResolutionException(parameter.getParameter() + ": there is no " + parameter.getParameter().getType().getSimpleName()
        + " on node " + index + " (the class has " + stack.nodes.size() + " node(s), " + stack.services.size() + " with a user service)");
    }
    return candidates.get(index);
  }

  /** The class's stack, started on first use; {@code getOrComputeIfAbsent} finds it from a method's context too. */
  private static Stack stack(ExtensionContext context) {
    return context.getStore(NAMESPACE).getOrComputeIfAbsent(STACK, key -> Stack.start(settingsOf(context.getRequiredTestClass())),
      Stack.class);
  }

  private static UserServiceTest settingsOf(Class<?> testClass) {
    return AnnotationSupport.findAnnotation(testClass, UserServiceTest.class)
      .orElseGet(() -> Defaults.class.getAnnotation(UserServiceTest.class));
  }

  /** The nodes of one test class, in start order, and the services on the first of them. */
  private record Stack(List<Vertx> nodes, List<UserServiceFixture> services, TestMailServer mail) {

    static Stack start(UserServiceTest settings) {
      if (settings.nodes() < 1 || settings.services() < 0 || settings.services() > settings.nodes()) {
        throw new IllegalArgumentException("@UserServiceTest wants 1 or more nodes and at most one service a node: " + settings);
      }
      // every class gets an SMTP server of its own: registrations send verification mails for real
      TestMailServer mail = TestMailServer.start();
      Map<String, String> overrides = new LinkedHashMap<>(mail.settings());
      overrides.putAll(overrides(settings.settings()));
      Stack stack = new Stack(new ArrayList<>(), new ArrayList<>(), mail);
      try {
        TestNodes cluster = new TestNodes();
        for (int i = 0; i < settings.nodes(); i++) {
          stack.nodes.add(await(cluster.start(), 60));
        }
        DbConfig database = TestPostgres.freshDatabase();
        for (int i = 0; i < settings.services(); i++) {
          stack.services.add(UserServiceFixture.start(stack.nodes.get(i), database, overrides, settings.fakeAuth(), 1, mail));
        }
        return stack;
      } catch (RuntimeException | Error e) {
        try {
          stack.stop();
        } catch (RuntimeException | Error cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }

    /** Stops every service, then closes every node, last started first; the first failure is thrown after all were tried. */
    void stop() {
      List<Runnable> steps = new ArrayList<>();
      for (int i = services.size() - 1; i >= 0; i--) {
        steps.add(services.get(i)::stop);
      }
      for (int i = nodes.size() - 1; i >= 0; i--) {
        Vertx node = nodes.get(i);
        steps.add(() -> await(node.close()));
      }
      steps.add(mail::down);
      Throwable first = null;
      for (Runnable step : steps) {
        try {
          step.run();
        } catch (RuntimeException | Error e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
      if (first instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (first != null) {
        throw (Error) first;
      }
    }

    private static Map<String, String> overrides(String[] settings) {
      Map<String, String> overrides = new LinkedHashMap<>();
      for (String setting : settings) {
        int eq = setting.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("@UserServiceTest settings are NAME=value, not: " + setting);
        }
        overrides.put(setting.substring(0, eq), setting.substring(eq + 1));
      }
      return Map.copyOf(overrides);
    }
  }
}
