package io.latchkey.user.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class against the running user service: once for the class, {@link UserServiceExtension}
 * starts {@link #nodes()} clustered test nodes and a {@link UserServiceFixture} (the user service
 * on a fresh database) on each of the first {@link #services()} of them, and stops them all after
 * the class. Constructors, {@code @BeforeAll} and test methods take them as parameters:
 * {@code UserServiceFixture} and {@code Vertx} are those of the first node, {@link OnNode} picks
 * another.
 *
 * <pre>{@code
 * @UserServiceTest
 * class SomeApiTest {
 *   private final UserServiceFixture f;
 *   SomeApiTest(UserServiceFixture f) { this.f = f; }
 *   @Test void works(Vertx node) { ... }
 * }
 * }</pre>
 *
 * The tests of one class share the service and its database, so each uses names of its own.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(UserServiceExtension.class)
public @interface UserServiceTest {

  /** How many clustered nodes to start, one test cluster of their own; those past the services are bare peers. */
  int nodes() default 1;

  /** On how many of the nodes, from the first, a user service runs; all of them on one database. */
  int services() default 1;

  /** Whether each service's node gets the fake auth service's validator and sync receiver ({@link FakeAuthService}). */
  boolean fakeAuth() default true;

  /** Settings over the fixture's test settings, environment style: {@code "NOTICE_WAIT_MS=300"}. */
  String[] settings() default {};
}
