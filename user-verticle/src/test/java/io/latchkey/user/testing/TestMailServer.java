package io.latchkey.user.testing;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real SMTP server in the test JVM (GreenMail) on a port of its own: the services send to it
 * over SMTP, and tests read what actually arrived. It can be stopped and started again on the
 * same port (the server down while a mail waits).
 */
public final class TestMailServer {

  private static final Pattern TOKEN = Pattern.compile("token=([A-Za-z0-9_-]{43})");

  /** One received mail, decoded. */
  public record Mail(String to, String subject, String text, String html) {
    /** The token of the link in the mail. */
    public String token() {
      Matcher m = TOKEN.matcher(text);
      if (!m.find()) {
        throw new AssertionError("no token link in the mail '" + subject + "' to " + to);
      }
      return m.group(1);
    }
  }

  private final int port;
  private GreenMail server;

  private TestMailServer(int port) {
    this.port = port;
  }

  public static TestMailServer start() {
    TestMailServer mail = new TestMailServer(freePort());
    mail.up();
    return mail;
  }

  /** The settings that point a user service at this server. */
  public Map<String, String> settings() {
    return Map.of("SMTP_HOST", "127.0.0.1", "SMTP_PORT", String.valueOf(port), "SMTP_STARTTLS", "off");
  }

  public synchronized void up() {
    if (server == null) {
      server = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
      server.start();
    }
  }

  public synchronized void down() {
    if (server != null) {
      server.stop();
      server = null;
    }
  }

  /** Every mail received so far (since the server last started). */
  public synchronized List<Mail> all() {
    List<Mail> mails = new ArrayList<>();
    if (server == null) {
      return mails;
    }
    for (MimeMessage message : server.getReceivedMessages()) {
      mails.add(decode(message));
    }
    return mails;
  }

  public List<Mail> to(String address) {
    return all().stream().filter(m -> m.to().equalsIgnoreCase(address)).toList();
  }

  /**
   * Waits (bounded) until {@code address} has received {@code count} mails whose subject contains
   * {@code subject}; returns them. Between looks it blocks until the server receives one more mail.
   */
  public List<Mail> await(String address, String subject, int count, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      GreenMail running;
      synchronized (this) {
        running = server;
      }
      // counted before looking, so a mail arriving in between ends the wait below at once
      int received = running == null ? 0 : running.getReceivedMessages().length;
      List<Mail> found = to(address).stream().filter(m -> m.subject().contains(subject)).toList();
      if (found.size() >= count) {
        return found;
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0 || running == null) {
        throw new AssertionError("after " + timeoutMs + " ms " + address + " has " + found.size() + " mail(s) '" + subject
          + "', expected " + count + (running == null ? " (the test mail server is down)" : "") + "; all mails: "
          + all().stream().map(m -> m.to() + ": " + m.subject()).toList());
      }
      running.waitForIncomingEmail(left, received + 1);
    }
  }

  /** The newest mail of that subject to that address, waiting for the first one if need be. */
  public Mail latest(String address, String subject) {
    List<Mail> mails = await(address, subject, 1, 10_000);
    return mails.get(mails.size() - 1);
  }

  private static Mail decode(MimeMessage message) {
    try {
      Address[] to = message.getRecipients(jakarta.mail.Message.RecipientType.TO);
      String text = null;
      String html = null;
      Object content = message.getContent();
      if (content instanceof String s) {
        text = s;
      } else if (content instanceof Multipart multipart) {
        for (int i = 0; i < multipart.getCount(); i++) {
          BodyPart part = multipart.getBodyPart(i);
          if (part.isMimeType("text/plain")) {
            text = (String) part.getContent();
          } else if (part.isMimeType("text/html")) {
            html = (String) part.getContent();
          } else if (part.getContent() instanceof Multipart inner) {
            for (int j = 0; j < inner.getCount(); j++) {
              BodyPart p = inner.getBodyPart(j);
              if (p.isMimeType("text/plain")) {
                text = (String) p.getContent();
              } else if (p.isMimeType("text/html")) {
                html = (String) p.getContent();
              }
            }
          }
        }
      }
      return new Mail(to == null || to.length == 0 ? "" : to[0].toString(), message.getSubject(), text == null ? "" : text,
        html == null ? "" : html);
    } catch (MessagingException | IOException e) {
      throw new AssertionError("cannot read a received mail", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
