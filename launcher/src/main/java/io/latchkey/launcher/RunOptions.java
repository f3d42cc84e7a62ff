package io.latchkey.launcher;

import java.nio.file.Path;

/**
 * The launcher's own settings for {@code run}, from the command line and the environment.
 *
 * @param role                   LATCHKEY_ROLE or {@code --role}: user, auth or all
 * @param instances              LATCHKEY_INSTANCES or {@code --instances}: verticle instances per service (default: cores)
 * @param confDir                LATCHKEY_CONF_DIR: where {@code <service>.json} and {@code logback.xml} live (default {@code conf})
 * @param production             LATCHKEY_PROFILE=production: refuse development keys and defaults
 * @param drainSeconds           LATCHKEY_DRAIN_SECONDS: after SIGTERM, how long readiness is DOWN before requests stop being taken (default 2)
 * @param shutdownTimeoutSeconds LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS: bound on the whole graceful stop (default 30)
 */
public record RunOptions(Role role, int instances, Path confDir, boolean production, int drainSeconds,
                         int shutdownTimeoutSeconds) {
}
