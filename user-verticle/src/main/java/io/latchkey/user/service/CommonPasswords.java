package io.latchkey.user.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The shipped list of common passwords ({@code passwords/common-passwords.txt}, see the README
 * beside it for its source), held as NFKC-normalized lower-case strings so that lookups ignore
 * case.
 */
public final class CommonPasswords {

  public static final String RESOURCE = "passwords/common-passwords.txt";

  private final Set<String> entries;

  private CommonPasswords(Set<String> entries) {
    this.entries = Set.copyOf(entries);
  }

  /** Reads the shipped list (blocking: call it off the event loop, once). */
  public static CommonPasswords load() {
    try (InputStream in = CommonPasswords.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the common-password list " + RESOURCE + " is missing from the classpath");
      }
      Set<String> entries = new HashSet<>();
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (!line.isEmpty()) {
            entries.add(fold(line));
          }
        }
      }
      return new CommonPasswords(entries);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  public boolean contains(String password) {
    return entries.contains(fold(password));
  }

  public int size() {
    return entries.size();
  }

  private static String fold(String value) {
    return Normalizer.normalize(value, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
  }
}
