package io.latchkey.user.repo;

import io.latchkey.common.LoginKeys;
import io.latchkey.user.model.User;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * SQL on {@code users.users}, nothing else. Every method takes the client to run on, so the
 * service can put several statements (and an outbox row) in one transaction.
 */
public final class UserRepository {

  /** Unique index names (V1, V4): a 23505 naming one of them is a taken username or email. */
  public static final String USERNAME_INDEX = "users_username_lower_key";
  public static final String EMAIL_INDEX = "users_email_key_key";

  private static final String COLUMNS =
    "id, username, email, display_name, roles, password_hash, password_version, password_changed_at, created_at, updated_at,"
      + " email_verified, disabled, totp_enabled";
  /** The same columns of a users row aliased {@code u} (a statement that joins it). */
  static final String U_COLUMNS = "u." + COLUMNS.replace(", ", ", u.");

  public Future<User> insert(SqlClient client, UUID id, String username, String email, String displayName,
                             String passwordHash) {
    return client.preparedQuery("INSERT INTO users.users (id, username, email, email_key, display_name, password_hash) "
        + "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + COLUMNS)
      .execute(Tuple.of(id, username, email, LoginKeys.of(email), displayName, passwordHash))
      .map(rows -> toUser(rows.iterator().next()));
  }

  /** A user of an import, checked and normalized ({@code roles} in canonical order, {@code passwordHash} never null). */
  public record NewUser(UUID id, String username, String email, String displayName, List<String> roles, boolean emailVerified,
                        boolean disabled, String passwordHash) {
    @Override
    public String toString() {
      return "NewUser[" + id + "]"; // never the hash, nor personal data, in a log line
    }
  }

  /**
   * Inserts the users whose username and email are both free, in one statement (arrays unnested:
   * one round trip whatever the count), and returns the ids of those inserted. A user whose
   * username or email is taken (by an existing row, or by an earlier row of the same statement)
   * is left out, never overwritten: {@code ON CONFLICT DO NOTHING} without a target arbitrates on
   * every unique index (username without regard to case, email key, id). The rows keep their
   * order, so of two rows that collide the first is the one inserted.
   */
  public Future<List<UUID>> insertAbsent(SqlClient client, List<NewUser> batch) {
    int n = batch.size();
    UUID[] ids = new UUID[n];
    String[] usernames = new String[n];
    String[] emails = new String[n];
    String[] emailKeys = new String[n];
    String[] displayNames = new String[n];
    String[] roles = new String[n];
    String[] hashes = new String[n];
    Boolean[] verified = new Boolean[n];
    Boolean[] disabled = new Boolean[n];
    for (int i = 0; i < n; i++) {
      NewUser u = batch.get(i);
      ids[i] = u.id();
      usernames[i] = u.username();
      emails[i] = u.email();
      emailKeys[i] = LoginKeys.of(u.email());
      displayNames[i] = u.displayName();
      // role names are from a fixed set without commas (a 2-D array would not unnest row by row)
      roles[i] = String.join(",", u.roles());
      hashes[i] = u.passwordHash();
      verified[i] = u.emailVerified();
      disabled[i] = u.disabled();
    }
    return client.preparedQuery("INSERT INTO users.users (id, username, email, email_key, display_name, roles, password_hash, "
        + "email_verified, disabled) SELECT id, username, email, email_key, display_name, string_to_array(roles, ','), "
        + "password_hash, email_verified, disabled FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], "
        + "$6::text[], $7::text[], $8::boolean[], $9::boolean[]) WITH ORDINALITY "
        + "AS t(id, username, email, email_key, display_name, roles, password_hash, email_verified, disabled, n) ORDER BY n "
        + "ON CONFLICT DO NOTHING RETURNING id")
      .execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(usernames).addArrayOfString(emails)
        .addArrayOfString(emailKeys).addArrayOfString(displayNames).addArrayOfString(roles).addArrayOfString(hashes)
        .addArrayOfBoolean(verified).addArrayOfBoolean(disabled))
      .map(rows -> {
        List<UUID> inserted = new ArrayList<>(rows.rowCount());
        rows.forEach(r -> inserted.add(r.getUUID("id")));
        return inserted;
      });
  }

  public Future<Optional<User>> findById(SqlClient client, UUID id) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.users WHERE id = $1")
      .execute(Tuple.of(id)).map(UserRepository::first);
  }

  /** Locks the row until the transaction ends: changes of one user (and their notices) are serialized. */
  public Future<Optional<User>> findByIdForUpdate(SqlClient client, UUID id) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.users WHERE id = $1 FOR UPDATE")
      .execute(Tuple.of(id)).map(UserRepository::first);
  }

  /**
   * By username, without regard to case. Usernames are ASCII, where PostgreSQL's lower() and the
   * Java key ({@link LoginKeys}) agree; the key is computed here so the index is used.
   */
  public Future<Optional<User>> findByUsername(SqlClient client, String username) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.users WHERE lower(username) = $1")
      .execute(Tuple.of(LoginKeys.of(username))).map(UserRepository::first);
  }

  /** By email key ({@link LoginKeys}, computed in Java, never by PostgreSQL). */
  public Future<Optional<User>> findByEmail(SqlClient client, String email) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.users WHERE email_key = $1")
      .execute(Tuple.of(LoginKeys.of(email))).map(UserRepository::first);
  }

  /**
   * A username or an email, by the one login key ({@link LoginKeys}) the auth service's cache also
   * uses (usernames cannot contain '@', so at most one user matches).
   */
  public Future<Optional<User>> findByLogin(SqlClient client, String login) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.users "
        + "WHERE lower(username) = $1 OR email_key = $1 ORDER BY created_at LIMIT 1")
      .execute(Tuple.of(LoginKeys.of(login))).map(UserRepository::first);
  }

  /** A new email is unverified until its verification token comes back; the same email keeps its state. */
  public Future<User> updateProfile(SqlClient client, UUID id, String email, String displayName) {
    return client.preparedQuery("UPDATE users.users SET email = $2, email_key = $3, display_name = $4, updated_at = now(), "
        + "email_verified = email_verified AND email_key IS NOT DISTINCT FROM $3 WHERE id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.of(id, email, LoginKeys.of(email), displayName))
      .map(rows -> toUser(rows.iterator().next()));
  }

  public Future<User> markEmailVerified(SqlClient client, UUID id) {
    return client.preparedQuery("UPDATE users.users SET email_verified = true, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.of(id))
      .map(rows -> toUser(rows.iterator().next()));
  }

  public Future<User> setDisabled(SqlClient client, UUID id, boolean disabled) {
    return client.preparedQuery("UPDATE users.users SET disabled = $2, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.of(id, disabled))
      .map(rows -> toUser(rows.iterator().next()));
  }

  /**
   * Stores a new hash; the password version grows by one. {@code keptSessionId}: the session the
   * change keeps alive (the caller's own), null when it keeps none; the password-changed notice
   * carries it, and so does the same notice sent again ({@link #keptSession}).
   */
  public Future<User> updatePassword(SqlClient client, UUID id, String passwordHash, String keptSessionId) {
    return client.preparedQuery("UPDATE users.users SET password_hash = $2, password_version = password_version + 1, "
        + "password_kept_session = $3, password_changed_at = now(), updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.of(id, passwordHash, keptSessionId))
      .map(rows -> toUser(rows.iterator().next()));
  }

  /**
   * Replaces the hash a login was checked against by its bcrypt upgrade, by compare-and-set: only
   * while the row still has {@code oldHash} and {@code passwordVersion} (a newer password, or a
   * racing upgrade, wins). The password version stays; {@code updated_at} moves, so the auth
   * service's cache takes the new state over the old. Empty when nothing was replaced.
   */
  public Future<Optional<User>> replaceHash(SqlClient client, UUID id, long passwordVersion, String oldHash, String newHash) {
    return client.preparedQuery("UPDATE users.users SET password_hash = $4, updated_at = now() "
        + "WHERE id = $1 AND password_version = $2 AND password_hash = $3 RETURNING " + COLUMNS)
      .execute(Tuple.of(id, passwordVersion, oldHash, newHash))
      .map(rows -> rows.size() == 0 ? Optional.<User>empty() : Optional.of(toUser(rows.iterator().next())));
  }

  /**
   * The session the change to the user's current password version kept alive (null: none). It
   * lives on the user's row, not in the notice that announced it, so that sending the notice
   * again works however long ago the first one was delivered and deleted.
   */
  public Future<String> keptSession(SqlClient client, UUID id) {
    return client.preparedQuery("SELECT password_kept_session FROM users.users WHERE id = $1")
      .execute(Tuple.of(id))
      .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("password_kept_session"));
  }

  /**
   * Whether a password login must be completed by TOTP; moves {@code updated_at} (the auth
   * service orders its cache entries by it). Call it in the transaction that changes {@code mfa_totp}.
   */
  public Future<User> setTotpEnabled(SqlClient client, UUID id, boolean enabled) {
    return client.preparedQuery("UPDATE users.users SET totp_enabled = $2, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.of(id, enabled))
      .map(rows -> toUser(rows.iterator().next()));
  }

  public Future<User> updateRoles(SqlClient client, UUID id, List<String> roles) {
    return client.preparedQuery("UPDATE users.users SET roles = $2, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.tuple().addUUID(id).addArrayOfString(roles.toArray(String[]::new)))
      .map(rows -> toUser(rows.iterator().next()));
  }

  public Future<Boolean> delete(SqlClient client, UUID id) {
    return client.preparedQuery("DELETE FROM users.users WHERE id = $1")
      .execute(Tuple.of(id)).map(rows -> rows.rowCount() == 1);
  }

  /**
   * The searchable text of a user, exactly the expression of the trigram index {@code users_search_trgm}
   * (V7; the planner uses the index only for this very expression): username, email and display
   * name joined by U+0001. A search term never contains that control character (the edge refuses
   * it, {@link io.latchkey.common.TextRules}), so a term matches the joined text exactly when it
   * matches one of the three fields, never across two.
   */
  public static final char SEARCH_SEPARATOR = '\u0001';
  public static final String SEARCH_TEXT = "(username || E'\\x01' || email || E'\\x01' || coalesce(display_name, ''))";

  /**
   * One page of users whose searchable text matches {@code likePattern} (already escaped, with
   * '\' as escape character; null = everyone) without regard to case, in (created_at, id) order,
   * after the given position. Which way PostgreSQL finds them is its planner's choice, made per
   * execution on the admin pool's custom plans: the trigram index and a sort for a term that
   * few users match, a walk of the (created_at, id) index that stops after {@code limit} matches
   * for a common one (docs/ARCHITECTURE.md, "Search").
   */
  public Future<List<User>> search(SqlClient client, String likePattern, Instant afterCreatedAt, UUID afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM users.users WHERE TRUE");
    Tuple params = Tuple.tuple();
    if (likePattern != null) {
      params.addString(likePattern);
      sql.append(" AND ").append(SEARCH_TEXT).append(" ILIKE $").append(params.size()).append(" ESCAPE '\\'");
    }
    if (afterCreatedAt != null) {
      params.addOffsetDateTime(OffsetDateTime.ofInstant(afterCreatedAt, ZoneOffset.UTC)).addUUID(afterId);
      int p = params.size();
      sql.append(" AND (created_at, id) > ($").append(p - 1).append(", $").append(p).append(")");
    }
    params.addInteger(limit);
    sql.append(" ORDER BY created_at, id LIMIT $").append(params.size());
    return client.preparedQuery(sql.toString()).execute(params).map(UserRepository::all);
  }

  private static Optional<User> first(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Optional.of(toUser(it.next())) : Optional.empty();
  }

  private static List<User> all(RowSet<Row> rows) {
    List<User> users = new ArrayList<>();
    rows.forEach(r -> users.add(toUser(r)));
    return users;
  }

  static User toUser(Row row) {
    return new User(row.getUUID("id"), row.getString("username"), row.getString("email"), row.getString("display_name"),
      List.copyOf(Arrays.asList(row.getArrayOfStrings("roles"))), row.getString("password_hash"),
      row.getLong("password_version"), instant(row, "password_changed_at"), instant(row, "created_at"),
      instant(row, "updated_at"), row.getBoolean("email_verified"), row.getBoolean("disabled"),
      row.getBoolean("totp_enabled"));
  }

  static Instant instant(Row row, String column) {
    OffsetDateTime value = row.getOffsetDateTime(column);
    return value == null ? null : value.toInstant();
  }
}
