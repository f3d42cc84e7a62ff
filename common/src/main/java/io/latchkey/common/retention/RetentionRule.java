package io.latchkey.common.retention;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What one table lets go: rows one of whose time columns lies more than {@code keep} in the past.
 * {@link #sql} is one {@code DELETE} of at most {@code $1} such rows ({@code $2}: {@code keep} in
 * seconds): they are picked oldest first on each column's index and deleted by {@code ctid}, a
 * TID scan. Both halves matter at a million rows: without the {@code ORDER BY} a prepared
 * statement's generic plan may walk the table in a sequential scan that, with nothing due, reads
 * all of it; a {@code DELETE ... WHERE id IN (SELECT ... LIMIT $1)} may hash-join the whole
 * table (docs/OPERATING.md, "Table sizes").
 *
 * @param name   the rule's name in logs, and the seed of its advisory lock ({@link #lockKey})
 * @param table  the schema-qualified table, the {@code table} label of {@code latchkey_retention_deleted_total}
 * @param sql    the bounded {@code DELETE}: {@code $1} the batch size, {@code $2} {@code keep} in seconds
 * @param keep   how long a row stays after its time
 */
public record RetentionRule(String name, String table, String sql, Duration keep) {

  /**
   * Rows of {@code table} due once any of {@code timeColumns} is older than {@code keep}; each
   * column needs an index whose order gives its oldest values first. With several columns, each
   * contributes at most {@code $1} candidates, so a batch reads at most that many index entries
   * per column whatever the table's size.
   */
  public static RetentionRule olderThan(String table, Duration keep, String... timeColumns) {
    if (timeColumns.length == 0) {
      throw new IllegalArgumentException("a retention rule needs a time column");
    }
    String cutoff = " < now() - $2::bigint * interval '1 second'";
    String picked = timeColumns.length == 1
      ? "SELECT ctid FROM " + table + " WHERE " + timeColumns[0] + cutoff + " ORDER BY " + timeColumns[0] + " LIMIT $1"
      // UNION, not UNION ALL: a row due by two columns is one row; the outer LIMIT keeps the batch at $1
      : "SELECT ctid FROM (" + Arrays.stream(timeColumns)
          .map(c -> "(SELECT ctid FROM " + table + " WHERE " + c + cutoff + " ORDER BY " + c + " LIMIT $1)")
          .collect(Collectors.joining(" UNION ")) + ") AS due LIMIT $1";
    return new RetentionRule(table, table, "DELETE FROM " + table + " WHERE ctid = ANY (ARRAY(" + picked + "))", keep);
  }

  /**
   * The key of this rule's PostgreSQL advisory lock ({@code pg_try_advisory_xact_lock}): the
   * first 8 bytes of SHA-256 of its name, the same on every node and release.
   */
  public long lockKey() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
        .digest(("latchkey retention|" + name).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
