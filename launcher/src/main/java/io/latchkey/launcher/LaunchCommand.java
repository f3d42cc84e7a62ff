package io.latchkey.launcher;

import io.latchkey.auth.token.JwsAlgorithm;

import java.nio.file.Path;

/** What the command line asked for. */
public sealed interface LaunchCommand {

  /** {@code run}: start a node of the cluster with the given options. */
  record Run(RunOptions options) implements LaunchCommand {
  }

  /** {@code keygen [--algorithm RS256|EdDSA] <dir>}: write JWT signing keys of the algorithm into a folder. */
  record Keygen(Path directory, JwsAlgorithm algorithm, LogFormat logFormat) implements LaunchCommand {
  }

  /** {@code help}, {@code --help}, {@code -h}. */
  record Help() implements LaunchCommand {
  }
}
