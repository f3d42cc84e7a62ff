package io.latchkey.common;

/**
 * Where a process serves {@code GET /metrics}: its management port, apart from the API port,
 * on loopback unless configured otherwise (the series name no secret, but they describe the
 * traffic and are not for the internet). One management server per process; with both services
 * in one process it is the user service's (see docs/OPERATING.md, "Metrics").
 *
 * @param host MANAGEMENT_HOST / managementHost (127.0.0.1): the address the management server binds
 * @param port MANAGEMENT_PORT / managementPort (9181 user, 9182 auth; 0 = any free port, for tests)
 */
public record ManagementSettings(String host, int port) {

  public static final int USER_DEFAULT_PORT = 9181;
  public static final int AUTH_DEFAULT_PORT = 9182;

  public static ManagementSettings from(Settings s, int defaultPort) {
    return new ManagementSettings(
      s.string("managementHost", "MANAGEMENT_HOST", "127.0.0.1"),
      s.integer("managementPort", "MANAGEMENT_PORT", defaultPort, 0, 65535));
  }
}
