package io.latchkey.user.mail;

import io.latchkey.user.repo.MailOutboxRepository.Kind;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * The mail templates: for each kind a plain-text file whose first line is {@code Subject: ...}
 * and an HTML file, with {@code {name}} placeholders. They are read once at start from
 * {@code MAIL_TEMPLATES_DIR} when set (an operator's own, same file names as {@code conf/mail}),
 * else from the copies of {@code conf/mail} the jar carries. In HTML, values are escaped.
 */
public final class MailTemplates {

  /** A mail ready to send. */
  public record Rendered(String subject, String text, String html) {
  }

  private record Template(String subject, String text, String html) {
  }

  private final Map<Kind, Template> templates = new EnumMap<>(Kind.class);

  private MailTemplates() {
  }

  /** Blocking (reads files): call it while the service prepares, never on an event loop. */
  public static MailTemplates load(String dir) {
    MailTemplates loaded = new MailTemplates();
    loaded.templates.put(Kind.VERIFY_EMAIL, read(dir, "verify-email"));
    loaded.templates.put(Kind.EMAIL_CHANGED, read(dir, "email-changed"));
    loaded.templates.put(Kind.PASSWORD_RESET, read(dir, "password-reset"));
    return loaded;
  }

  public Rendered render(Kind kind, Map<String, String> values) {
    Template template = templates.get(kind);
    if (template == null) {
      throw new IllegalArgumentException("no template for " + kind);
    }
    return new Rendered(fill(template.subject(), values, false), fill(template.text(), values, false),
      fill(template.html(), values, true));
  }

  /** One pass over the template: a value is never searched for placeholders itself. */
  private static String fill(String template, Map<String, String> values, boolean html) {
    StringBuilder out = new StringBuilder(template.length() + 128);
    int i = 0;
    while (i < template.length()) {
      int open = template.indexOf('{', i);
      int close = open < 0 ? -1 : template.indexOf('}', open);
      if (close < 0) {
        out.append(template, i, template.length());
        break;
      }
      String name = template.substring(open + 1, close);
      out.append(template, i, open);
      if (values.containsKey(name)) {
        String v = values.get(name) == null ? "" : values.get(name);
        out.append(html ? escapeHtml(v) : v);
        i = close + 1;
      } else {
        out.append('{');
        i = open + 1;
      }
    }
    return out.toString();
  }

  static String escapeHtml(String value) {
    StringBuilder out = new StringBuilder(value.length() + 16);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static Template read(String dir, String name) {
    String text = readFile(dir, name + ".txt");
    String html = readFile(dir, name + ".html");
    String normalized = text.replace("\r\n", "\n");
    int newline = normalized.indexOf('\n');
    String first = newline < 0 ? normalized : normalized.substring(0, newline);
    if (!first.startsWith("Subject:")) {
      throw new IllegalArgumentException("mail template " + name + ".txt must start with a 'Subject: ...' line");
    }
    String body = newline < 0 ? "" : normalized.substring(newline + 1).replaceFirst("^\n", "");
    return new Template(first.substring("Subject:".length()).trim(), body, html);
  }

  private static String readFile(String dir, String file) {
    try {
      if (dir != null && !dir.isBlank()) {
        return Files.readString(Path.of(dir, file), StandardCharsets.UTF_8);
      }
      try (InputStream in = MailTemplates.class.getClassLoader().getResourceAsStream("mail/" + file)) {
        if (in == null) {
          throw new IllegalStateException("the built-in mail template mail/" + file + " is missing from the jar");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read mail template " + file + (dir == null || dir.isBlank() ? "" : " in " + dir), e);
    }
  }
}
