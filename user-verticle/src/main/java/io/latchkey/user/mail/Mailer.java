package io.latchkey.user.mail;

import io.latchkey.user.mail.MailTemplates.Rendered;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;

import java.util.concurrent.TimeUnit;

/** Sends one rendered mail over SMTP ({@code vertx-mail-client}: pooled connections, STARTTLS as configured). */
public final class Mailer {

  private final MailClient client;
  private final String from;
  private final long timeoutMs;

  private Mailer(MailClient client, String from, long timeoutMs) {
    this.client = client;
    this.from = from;
    this.timeoutMs = timeoutMs;
  }

  public static Mailer create(Vertx vertx, MailSettings settings) {
    MailConfig config = new MailConfig()
      .setHostname(settings.smtpHost())
      .setPort(settings.smtpPort())
      .setStarttls(switch (settings.startTls()) {
        case "required" -> StartTLSOptions.REQUIRED;
        case "off" -> StartTLSOptions.DISABLED;
        default -> StartTLSOptions.OPTIONAL;
      })
      .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.sendTimeoutMs()))
      .setKeepAlive(true)
      .setMaxPoolSize(4);
    if (settings.smtpUsername().isEmpty()) {
      config.setLogin(LoginOption.DISABLED);
    } else {
      config.setLogin(LoginOption.REQUIRED).setUsername(settings.smtpUsername()).setPassword(settings.smtpPassword());
    }
    return new Mailer(MailClient.create(vertx, config), settings.from(), settings.sendTimeoutMs());
  }

  /** Succeeds once the server accepted the mail; fails when it refused it, could not be reached, or took too long. */
  public Future<Void> send(String to, Rendered mail) {
    MailMessage message = new MailMessage()
      .setFrom(from)
      .setTo(to)
      .setSubject(mail.subject())
      .setText(mail.text())
      .setHtml(mail.html());
    return client.sendMail(message).timeout(timeoutMs, TimeUnit.MILLISECONDS).mapEmpty();
  }

  public Future<Void> close() {
    return client.close();
  }
}
