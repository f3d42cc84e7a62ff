package io.latchkey.user.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@code Vertx} or {@code UserServiceFixture} parameter of a {@link UserServiceTest} class:
 * the one of this node (counted from 0 in the order they started) instead of the first.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OnNode {

  int value();
}
