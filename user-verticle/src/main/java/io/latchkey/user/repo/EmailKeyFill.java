package io.latchkey.user.repo;

import io.latchkey.common.DbConfig;
import io.latchkey.common.LoginKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Gives every user row without an {@code email_key} (rows older than migration V4) the key Java
 * computes ({@link LoginKeys}), which PostgreSQL cannot compute the same way. Blocking JDBC, run
 * once per start beside the migration, before the service listens; a database already keyed
 * costs one index lookup. Two old rows whose emails now share a key cannot both have it: the
 * later one keeps NULL (found by nobody's email until an operator resolves it) and is logged by id.
 */
public final class EmailKeyFill {

  private static final Logger LOG = LoggerFactory.getLogger(EmailKeyFill.class);
  private static final int BATCH = 500;

  private EmailKeyFill() {
  }

  /** Returns how many rows got their key. */
  public static int fill(DbConfig config) {
    int keyed = 0;
    List<UUID> conflicts = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password())) {
      UUID after = null; // PostgreSQL orders uuids as unsigned bytes: no Java UUID is a safe "smallest"
      boolean more = true;
      while (more) {
        List<UUID> ids = new ArrayList<>();
        List<String> emails = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(
          "SELECT id, email FROM users.users WHERE email_key IS NULL AND (?::uuid IS NULL OR id > ?::uuid) ORDER BY id LIMIT " + BATCH)) {
          select.setObject(1, after);
          select.setObject(2, after);
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getObject(1, UUID.class));
              emails.add(rs.getString(2));
            }
          }
        }
        more = ids.size() == BATCH;
        for (int i = 0; i < ids.size(); i++) {
          after = ids.get(i);
          try (PreparedStatement update = c.prepareStatement(
            "UPDATE users.users SET email_key = ? WHERE id = ? AND email_key IS NULL")) {
            update.setString(1, LoginKeys.of(emails.get(i)));
            update.setObject(2, ids.get(i));
            keyed += update.executeUpdate();
          } catch (SQLException e) {
            if (!"23505".equals(e.getSQLState())) {
              throw e;
            }
            conflicts.add(ids.get(i));
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot fill users.email_key: " + e.getMessage(), e);
    }
    if (keyed > 0) {
      LOG.info("users.email_key filled for {} user(s)", keyed);
    }
    if (!conflicts.isEmpty()) {
      LOG.error("users {} have an email whose key another user already has; their email_key stays empty until resolved",
        conflicts);
    }
    return keyed;
  }
}
