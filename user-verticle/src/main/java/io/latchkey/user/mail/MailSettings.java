package io.latchkey.user.mail;

import io.latchkey.common.Settings;

import java.util.Locale;

/**
 * How the user service sends mail (the user service's part of {@code conf/user.json} and the
 * environment; the environment wins).
 *
 * @param smtpHost            SMTP_HOST: the SMTP server (run.sh starts a development one unless this is set)
 * @param smtpPort            SMTP_PORT
 * @param smtpUsername        SMTP_USERNAME: empty for a server without authentication
 * @param smtpPassword        SMTP_PASSWORD (never logged)
 * @param startTls            SMTP_STARTTLS: {@code required}, {@code optional} or {@code off}
 * @param from                MAIL_FROM: the sender address
 * @param verifyUrl           EMAIL_VERIFY_URL: the link in a verification mail, {@code {token}} replaced
 * @param resetUrl            PASSWORD_RESET_URL: the link in a reset mail, {@code {token}} replaced
 * @param templatesDir        MAIL_TEMPLATES_DIR: a directory with the operator's own templates (empty: the built-in ones)
 * @param verifyTtlSeconds    EMAIL_VERIFY_TTL_SECONDS: how long a verification token works (24 h)
 * @param resetTtlSeconds     PASSWORD_RESET_TTL_SECONDS: how long a reset token works (30 min)
 * @param sweepMs             MAIL_SWEEP_MS: how often the mail relay looks for mails to send
 * @param backoffMinMs        MAIL_BACKOFF_MIN_MS: first retry delay after the server refused or could not be reached
 * @param backoffMaxMs        MAIL_BACKOFF_MAX_MS: longest retry delay (doubling per failure)
 * @param sendTimeoutMs       MAIL_SEND_TIMEOUT_MS: longest one delivery attempt may take
 * @param verifySendMax       EMAIL_VERIFY_SEND_MAX: verification mails one user may ask for per hour
 * @param resetAddressMax     PASSWORD_RESET_ADDRESS_MAX: reset requests per address per hour
 * @param resetIpMax          PASSWORD_RESET_IP_MAX: reset requests per client IP (IPv6: /64) per hour
 */
public record MailSettings(String smtpHost, int smtpPort, String smtpUsername, String smtpPassword, String startTls,
                           String from, String verifyUrl, String resetUrl, String templatesDir, long verifyTtlSeconds,
                           long resetTtlSeconds, long sweepMs, long backoffMinMs, long backoffMaxMs, long sendTimeoutMs,
                           int verifySendMax, int resetAddressMax, int resetIpMax) {

  /** The window of the three request limits. */
  public static final int LIMIT_WINDOW_SECONDS = 3600;

  public static MailSettings from(Settings s) {
    MailSettings settings = new MailSettings(
      s.string("smtpHost", "SMTP_HOST", "localhost"),
      s.integer("smtpPort", "SMTP_PORT", 1025, 1, 65535),
      s.string("smtpUsername", "SMTP_USERNAME", ""),
      // a secret: from the environment only, never from conf/user.json
      s.env().getOrDefault("SMTP_PASSWORD", ""),
      s.string("smtpStartTls", "SMTP_STARTTLS", "optional").toLowerCase(Locale.ROOT),
      s.string("mailFrom", "MAIL_FROM", "Latchkey <no-reply@localhost>"),
      s.string("emailVerifyUrl", "EMAIL_VERIFY_URL", "http://localhost:8082/account/verify-email#token={token}"),
      s.string("passwordResetUrl", "PASSWORD_RESET_URL", "http://localhost:8082/account/reset-password#token={token}"),
      s.string("mailTemplatesDir", "MAIL_TEMPLATES_DIR", ""),
      s.longValue("emailVerifyTtlSeconds", "EMAIL_VERIFY_TTL_SECONDS", 86_400, 60, 30L * 86_400),
      s.longValue("passwordResetTtlSeconds", "PASSWORD_RESET_TTL_SECONDS", 1800, 60, 86_400),
      s.longValue("mailSweepMs", "MAIL_SWEEP_MS", 1000, 50, 600_000),
      s.longValue("mailBackoffMinMs", "MAIL_BACKOFF_MIN_MS", 1000, 10, 600_000),
      s.longValue("mailBackoffMaxMs", "MAIL_BACKOFF_MAX_MS", 300_000, 10, 86_400_000),
      s.longValue("mailSendTimeoutMs", "MAIL_SEND_TIMEOUT_MS", 30_000, 1000, 600_000),
      s.integer("emailVerifySendMax", "EMAIL_VERIFY_SEND_MAX", 3, 1, 1000),
      s.integer("passwordResetAddressMax", "PASSWORD_RESET_ADDRESS_MAX", 3, 1, 1000),
      s.integer("passwordResetIpMax", "PASSWORD_RESET_IP_MAX", 30, 1, 1_000_000));
    if (!settings.startTls.equals("required") && !settings.startTls.equals("optional") && !settings.startTls.equals("off")) {
      throw new IllegalArgumentException("invalid setting SMTP_STARTTLS=" + settings.startTls + " (required, optional or off)");
    }
    if (!settings.verifyUrl.contains("{token}")) {
      throw new IllegalArgumentException("invalid setting EMAIL_VERIFY_URL: it must contain {token}");
    }
    if (!settings.resetUrl.contains("{token}")) {
      throw new IllegalArgumentException("invalid setting PASSWORD_RESET_URL: it must contain {token}");
    }
    if (settings.backoffMaxMs < settings.backoffMinMs) {
      throw new IllegalArgumentException("invalid setting MAIL_BACKOFF_MAX_MS=" + settings.backoffMaxMs
        + " (must be at least MAIL_BACKOFF_MIN_MS=" + settings.backoffMinMs + ")");
    }
    return settings;
  }

  /** The same settings sending to another SMTP server (tests). */
  public MailSettings withServer(String host, int port) {
    return new MailSettings(host, port, smtpUsername, smtpPassword, startTls, from, verifyUrl, resetUrl, templatesDir,
      verifyTtlSeconds, resetTtlSeconds, sweepMs, backoffMinMs, backoffMaxMs, sendTimeoutMs, verifySendMax, resetAddressMax,
      resetIpMax);
  }

  @Override
  public String toString() {
    // the SMTP password never reaches a log line
    return "MailSettings[smtp=" + smtpHost + ":" + smtpPort + ", startTls=" + startTls + ", user="
      + (smtpUsername.isEmpty() ? "none" : smtpUsername) + ", from=" + from + "]";
  }
}
