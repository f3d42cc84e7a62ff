package io.latchkey.auth.floor;

import io.latchkey.common.bus.Credentials;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The oldest state of a user the cache may still hold: the highest password version a sync
 * announced (or "deleted"), and the newest {@code updatedAt} a user-updated sync has seen.
 * Credentials older than the floor are never installed and never answered from the cache, so
 * a slow fill racing a sync cannot bring an old hash, email or role set back.
 *
 * <p>{@code disabled}: the user service disabled the user (USER_DISABLED, until USER_ENABLED).
 * Only the durable floor in PostgreSQL knows it ({@link VersionFloors}); the floors in Hazelcast
 * never carry it ({@link #encode} leaves it out), since a flag that an enable clears is not
 * monotonic. A disable also raises {@code updatedAt} to the disable's time, which is what drops
 * every older cache entry on every node.
 */
public record VersionFloor(long passwordVersion, Instant updatedAt, boolean disabled) {

  public static final VersionFloor NONE = new VersionFloor(0, Instant.EPOCH);
  public static final long DELETED = Long.MAX_VALUE;

  public VersionFloor(long passwordVersion, Instant updatedAt) {
    this(passwordVersion, updatedAt, false);
  }

  public static VersionFloor password(long version) {
    return new VersionFloor(version, Instant.EPOCH);
  }

  public static VersionFloor deleted() {
    return new VersionFloor(DELETED, Instant.EPOCH);
  }

  public static VersionFloor updatedAt(Instant at) {
    return new VersionFloor(0, at);
  }

  public boolean deletedUser() {
    return passwordVersion == DELETED;
  }

  /**
   * True when these credentials are older than the floor: a newer password version or state was
   * announced, the user was deleted, or they say "enabled" of a user the floor knows disabled (an
   * enable is in force here only once its notice is applied).
   */
  public boolean rejects(Credentials c) {
    return deletedUser() || c.passwordVersion() < passwordVersion || c.updatedAt().isBefore(updatedAt)
      || (disabled && !c.disabled());
  }

  /** The higher of both; disabled when either says so (only the durable floor ever does). */
  public VersionFloor max(VersionFloor other) {
    return new VersionFloor(Math.max(passwordVersion, other.passwordVersion),
      updatedAt.isAfter(other.updatedAt) ? updatedAt : other.updatedAt, disabled || other.disabled);
  }

  /** Plain string form for the Hazelcast map (built-in serialization, comparable for CAS); without {@code disabled}. */
  public String encode() {
    return passwordVersion + "|" + ChronoUnit.MICROS.between(Instant.EPOCH, updatedAt);
  }

  public static VersionFloor decode(String text) {
    if (text == null) {
      return NONE;
    }
    int bar = text.indexOf('|');
    long micros = Long.parseLong(text.substring(bar + 1));
    return new VersionFloor(Long.parseLong(text.substring(0, bar)), Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
  }
}
