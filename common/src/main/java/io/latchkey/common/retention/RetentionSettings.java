package io.latchkey.common.retention;

import io.latchkey.common.Settings;

import java.time.Duration;

/**
 * How each service runs its retention (the part both services read alike; the rules' own
 * retentions are in UserConfig and AuthConfig).
 *
 * @param interval  RETENTION_INTERVAL_SECONDS / retentionIntervalSeconds (60; 0 = never): how often a node runs the rules
 * @param batchSize RETENTION_BATCH_SIZE / retentionBatchSize (1000): rows one statement deletes at most
 * @param audit     AUDIT_RETENTION_DAYS / auditRetentionDays (90): audit events are deleted this long after their time
 */
public record RetentionSettings(Duration interval, int batchSize, Duration audit) {

  public static RetentionSettings from(Settings s) {
    return new RetentionSettings(
      Duration.ofSeconds(s.longValue("retentionIntervalSeconds", "RETENTION_INTERVAL_SECONDS", 60, 0, 86_400)),
      s.integer("retentionBatchSize", "RETENTION_BATCH_SIZE", 1000, 1, 100_000),
      Duration.ofDays(s.integer("auditRetentionDays", "AUDIT_RETENTION_DAYS", 90, 1, 36_500)));
  }
}
