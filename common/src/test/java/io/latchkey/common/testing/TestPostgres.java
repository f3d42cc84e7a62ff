package io.latchkey.common.testing;

import io.latchkey.common.DbConfig;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The PostgreSQL the tests use: the server named by {@code LATCHKEY_TEST_PG_URL} (the test
 * command starts one and sets it), or a Testcontainers container where Docker exists. Every
 * call of {@link #freshDatabase()} creates a new empty database on it, so test classes never
 * see each other's rows.
 */
public final class TestPostgres {

  public static final String ENV = "LATCHKEY_TEST_PG_URL";
  private static String baseUrl;
  private static Object container;

  private TestPostgres() {
  }

  /** A new, empty database: its config with a small pool. */
  public static synchronized DbConfig freshDatabase() {
    DbConfig base = DbConfig.fromUrl(baseUrl(), 4, 2000);
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String adminJdbc = "jdbc:postgresql://" + base.host() + ":" + base.port() + "/" + base.database();
    try (Connection c = DriverManager.getConnection(adminJdbc, base.user(), base.password());
         Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database on " + base.describe() + ": " + e.getMessage(), e);
    }
    return new DbConfig(base.host(), base.port(), name, base.user(), base.password(), 4, 2000);
  }

  /** The database as a {@code postgresql://user:password@host:port/name} URL (what DATABASE_URL takes). */
  public static String url(DbConfig db) {
    String credentials = URLEncoder.encode(db.user(), StandardCharsets.UTF_8)
      + (db.password() == null ? "" : ":" + URLEncoder.encode(db.password(), StandardCharsets.UTF_8));
    return "postgresql://" + credentials + "@" + db.host() + ":" + db.port() + "/" + db.database();
  }

  private static String baseUrl() {
    if (baseUrl != null) {
      return baseUrl;
    }
    String fromEnv = System.getenv(ENV);
    if (fromEnv != null && !fromEnv.isBlank() && !fromEnv.startsWith("${")) {
      baseUrl = fromEnv;
      return baseUrl;
    }
    baseUrl = startContainer();
    return baseUrl;
  }

  /** Testcontainers fallback, for machines with a Docker engine and no LATCHKEY_TEST_PG_URL. */
  private static String startContainer() {
    try {
      org.testcontainers.containers.PostgreSQLContainer<?> pg =
        new org.testcontainers.containers.PostgreSQLContainer<>("postgres:15-alpine");
      pg.start();
      container = pg;
      return "postgresql://" + pg.getUsername() + ":" + pg.getPassword() + "@" + pg.getHost() + ":"
        + pg.getMappedPort(5432) + "/" + pg.getDatabaseName();
    } catch (Throwable e) {
      throw new IllegalStateException("no test database: set " + ENV
        + " (./scripts/test.sh does) or run where Docker is available for Testcontainers", e);
    }
  }
}
