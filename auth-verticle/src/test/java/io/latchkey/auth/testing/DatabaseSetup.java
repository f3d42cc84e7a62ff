package io.latchkey.auth.testing;

import io.latchkey.common.DbConfig;

/**
 * What an {@link AuthTest} class does to its fresh, empty database before any node starts, and
 * so before the module migrates it: an upgrade test migrates up to an older version and writes
 * rows as that release did ({@link AuthTest#before()}). Needs a public no-argument constructor.
 */
public interface DatabaseSetup {

  void prepare(DbConfig database) throws Exception;

  /** Nothing: the database stays empty until the module migrates it. */
  final class None implements DatabaseSetup {

    @Override
    public void prepare(DbConfig database) {
    }
  }
}
