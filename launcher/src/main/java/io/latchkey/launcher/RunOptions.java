package io.latchkey.launcher;

import io.latchkey.common.Profile;

import java.nio.file.Path;

/**
 * The launcher's own settings for {@code run}, from the command line and the environment.
 *
 * @param role                   LATCHKEY_ROLE or {@code --role}: user, auth or all
 * @param instances              LATCHKEY_INSTANCES or {@code --instances}: verticle instances per service (default: cores)
 * @param confDir                LATCHKEY_CONF_DIR: where {@code <service>.json} and {@code logback.xml} live (default {@code conf})
 * @param profile                LATCHKEY_PROFILE: production refuses development keys and derived secrets; decided here, once
 * @param drainSeconds           LATCHKEY_DRAIN_SECONDS: after SIGTERM, how long readiness is DOWN before requests stop being taken (default 2)
 * @param shutdownTimeoutSeconds LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS: bound on the whole graceful stop (default 30)
 * @param logFormat              LOG_FORMAT: text (default) or json, one JSON object per line
 */
public record RunOptions(Role role, int instances, Path confDir, Profile profile, int drainSeconds,
                         int shutdownTimeoutSeconds, LogFormat logFormat) {

  public boolean production() {
    return profile.production();
  }
}
