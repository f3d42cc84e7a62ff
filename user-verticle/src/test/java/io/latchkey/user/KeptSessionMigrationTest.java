package io.latchkey.user;

import io.latchkey.common.Database;
import io.latchkey.common.DbConfig;
import io.latchkey.common.testing.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * V8 moves the session a password change kept from the notices (which the retention now deletes)
 * to the user's row: a database migrated before it keeps every resend's answer.
 */
class KeptSessionMigrationTest {

  @Test
  void theSessionTheCurrentPasswordChangeKeptMovesToTheUsersRow() throws SQLException {
    DbConfig db = TestPostgres.freshDatabase();
    Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).schemas("users").defaultSchema("users")
      .createSchemas(true).table("flyway_schema_history").locations("classpath:db/users").target("6").load().migrate();
    String kept = "11111111-1111-1111-1111-111111111111";
    execute(db, """
      INSERT INTO users.users (id, username, email, email_key, password_hash, password_version) VALUES
        ('00000000-0000-0000-0000-00000000000a', 'kept', 'kept@example.com', 'kept@example.com', '$2a$04$x', 3),
        ('00000000-0000-0000-0000-00000000000b', 'reset', 'reset@example.com', 'reset@example.com', '$2a$04$x', 3),
        ('00000000-0000-0000-0000-00000000000c', 'admin', 'admin@example.com', 'admin@example.com', '$2a$04$x', 2),
        ('00000000-0000-0000-0000-00000000000d', 'never', 'never@example.com', 'never@example.com', '$2a$04$x', 1);
      INSERT INTO users.outbox (user_id, type, password_version, keep_session_id, delivered_at) VALUES
        ('00000000-0000-0000-0000-00000000000a', 'password_changed', 2, '22222222-2222-2222-2222-222222222222', now()),
        ('00000000-0000-0000-0000-00000000000a', 'password_changed', 3, '%1$s', now()),
        ('00000000-0000-0000-0000-00000000000a', 'roles_changed', NULL, NULL, now()),
        ('00000000-0000-0000-0000-00000000000b', 'password_changed', 2, '%1$s', now()),
        ('00000000-0000-0000-0000-00000000000b', 'password_reset', 3, NULL, now()),
        ('00000000-0000-0000-0000-00000000000c', 'password_changed', 2, NULL, NULL);
      """.formatted(kept));

    Database.migrateNow(db, "users");

    Map<String, String> byUser = new LinkedHashMap<>();
    String url = db.jdbcUrl();
    try (Connection c = DriverManager.getConnection(url, db.user(), db.password());
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT username, password_kept_session FROM users.users ORDER BY username")) {
      while (rs.next()) {
        byUser.put(rs.getString(1), rs.getString(2));
      }
    }
    assertThat(byUser).containsEntry("kept", kept)
      .as("a reset after the change kept nothing").containsEntry("reset", null)
      .as("an admin's change keeps no session").containsEntry("admin", null)
      .containsEntry("never", null);
  }

  private static void execute(DbConfig db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
