package io.latchkey.user.model;

import java.util.List;

/** The two roles, in their canonical order. */
public final class Roles {
  public static final String USER = "user";
  public static final String ADMIN = "admin";
  public static final List<String> ALL = List.of(USER, ADMIN);
  public static final List<String> DEFAULT = List.of(USER);

  private Roles() {
  }
}
