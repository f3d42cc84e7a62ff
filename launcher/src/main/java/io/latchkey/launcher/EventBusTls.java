package io.latchkey.launcher;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptionsBase;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.TrustOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Optional TLS for the clustered event bus (the TCP connections between nodes that carry bus
 * messages; Hazelcast's own member protocol is separate and has no TLS in the open-source
 * edition). Off unless {@code EVENTBUS_TLS_KEYSTORE} is set. When on, it is mutual: every
 * node presents its certificate and accepts only peers whose certificate its truststore trusts,
 * so a process without a certificate of the cluster can neither send nor receive bus messages.
 *
 * @param keystore           EVENTBUS_TLS_KEYSTORE: this node's key and certificate (PKCS#12, or JKS for a {@code .jks} file)
 * @param keystorePassword   EVENTBUS_TLS_KEYSTORE_PASSWORD
 * @param truststore         EVENTBUS_TLS_TRUSTSTORE: the certificates (or CA) of the cluster; default: the keystore
 * @param truststorePassword EVENTBUS_TLS_TRUSTSTORE_PASSWORD; default: the keystore password
 */
public record EventBusTls(Path keystore, String keystorePassword, Path truststore, String truststorePassword) {

  /** Reads the four variables; null when TLS is off. Missing files or passwords are refused, naming the variable. */
  public static EventBusTls fromEnvironment(Map<String, String> env) {
    String keystore = trimmed(env, "EVENTBUS_TLS_KEYSTORE");
    String truststore = trimmed(env, "EVENTBUS_TLS_TRUSTSTORE");
    if (keystore == null) {
      if (truststore != null) {
        throw new IllegalArgumentException("EVENTBUS_TLS_TRUSTSTORE is set without EVENTBUS_TLS_KEYSTORE"
          + " (event-bus TLS is mutual: every node needs its own key and certificate)");
      }
      return null;
    }
    String keystorePassword = env.get("EVENTBUS_TLS_KEYSTORE_PASSWORD");
    if (keystorePassword == null || keystorePassword.isEmpty()) {
      throw new IllegalArgumentException("EVENTBUS_TLS_KEYSTORE_PASSWORD is required with EVENTBUS_TLS_KEYSTORE");
    }
    String truststorePassword = env.get("EVENTBUS_TLS_TRUSTSTORE_PASSWORD");
    EventBusTls tls = new EventBusTls(Path.of(keystore), keystorePassword,
      Path.of(truststore == null ? keystore : truststore),
      truststorePassword == null || truststorePassword.isEmpty() ? keystorePassword : truststorePassword);
    requireReadable(tls.keystore(), "EVENTBUS_TLS_KEYSTORE");
    requireReadable(tls.truststore(), truststore == null ? "EVENTBUS_TLS_KEYSTORE" : "EVENTBUS_TLS_TRUSTSTORE");
    return tls;
  }

  /** Event-bus options for a node: TLS with client authentication required, or the defaults when {@code tls} is null. */
  public static EventBusOptions eventBusOptions(EventBusTls tls) {
    EventBusOptions options = new EventBusOptions();
    if (tls == null) {
      return options;
    }
    return options.setSsl(true)
      .setClientAuth(ClientAuth.REQUIRED)
      .setKeyCertOptions((KeyCertOptions) store(tls.keystore(), tls.keystorePassword()))
      .setTrustOptions((TrustOptions) store(tls.truststore(), tls.truststorePassword()));
  }

  /** For log lines: which files, never the passwords. */
  public String describe() {
    return "keystore " + keystore + ", truststore " + truststore;
  }

  @Override
  public String toString() {
    return "EventBusTls[" + describe() + "]";
  }

  static String storeType(Path file) {
    return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
  }

  /**
   * JKS or PKCS#12 options by their own classes: the clustered event bus copies its options
   * through JSON, which keeps {@code JksOptions} / {@code PfxOptions} but drops a generic
   * {@code KeyStoreOptions} (the start then fails with "Key/certificate is mandatory for SSL").
   */
  private static KeyStoreOptionsBase store(Path file, String password) {
    String path = file.toAbsolutePath().toString();
    return "JKS".equals(storeType(file))
      ? new JksOptions().setPath(path).setPassword(password)
      : new PfxOptions().setPath(path).setPassword(password);
  }

  private static void requireReadable(Path file, String variable) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException(variable + "=" + file + " is not a readable file");
    }
  }

  private static String trimmed(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value.trim();
  }
}
