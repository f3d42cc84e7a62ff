package io.latchkey.launcher;

import io.latchkey.auth.token.JwsAlgorithm;

import java.net.URI;
import java.nio.file.Path;

/** What the command line asked for. */
public sealed interface LaunchCommand {

  /** {@code run}: start a node of the cluster with the given options. */
  record Run(RunOptions options) implements LaunchCommand {
  }

  /** {@code keygen [--algorithm RS256|EdDSA] <dir>}: write JWT signing keys of the algorithm into a folder. */
  record Keygen(Path directory, JwsAlgorithm algorithm, LogFormat logFormat) implements LaunchCommand {
  }

  /**
   * {@code import-keycloak <realm-export.json> --user-service <url>}, the key from {@code API_KEY}
   * ({@link #toString()} leaves it out).
   */
  record ImportKeycloak(Path export, URI userService, String apiKey) implements LaunchCommand {
    @Override
    public String toString() {
      return "ImportKeycloak[export=" + export + ", userService=" + userService + ", apiKey=(hidden)]";
    }
  }

  /** {@code help}, {@code --help}, {@code -h}. */
  record Help() implements LaunchCommand {
  }
}
