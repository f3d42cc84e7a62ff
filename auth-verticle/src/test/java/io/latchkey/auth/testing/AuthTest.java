package io.latchkey.auth.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class against the running auth service: once for the class, {@link AuthExtension}
 * starts an {@link AuthFixture} ({@link #nodes()} clustered test nodes, a fresh database, the
 * {@link FakeUserService} on the first node, the real {@code AuthModule} on every node) and
 * closes it after the class. Constructors, {@code @BeforeAll} and test methods take
 * {@link AuthFixture} or {@link FakeUserService} as parameters.
 *
 * <pre>{@code
 * @AuthTest(nodes = 2, settings = "LOGIN_ACCOUNT_MAX_FAILURES=3")
 * class SomeLoginTest {
 *   private final AuthFixture auth;
 *   SomeLoginTest(AuthFixture auth) { this.auth = auth; }
 *   @Test void works() { ... auth.login(1, "someone", "password") ... }
 * }
 * }</pre>
 *
 * The tests of one class share the service, its database and the cluster's password cache and
 * throttle counters, so each uses users and client IPs of its own.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(AuthExtension.class)
public @interface AuthTest {

  /** How many clustered nodes, each with the auth module; a test cluster of their own. */
  int nodes() default 1;

  /** Settings of every node over the fixture's test settings, environment style: {@code "REFRESH_GRACE_SECONDS=0"}. */
  String[] settings() default {};

  /** Settings of single nodes, over {@link #settings()}. */
  NodeSettings[] perNode() default {};

  /** Run on the fresh database before the first node starts (an upgrade test's older schema and rows). */
  Class<? extends DatabaseSetup> before() default DatabaseSetup.None.class;

  /** The settings of one node (counted from 0 in start order), environment style. */
  @Target({})
  @Retention(RetentionPolicy.RUNTIME)
  @Documented
  @interface NodeSettings {

    int node();

    String[] value();
  }
}
