package io.latchkey.launcher;

import java.nio.file.Path;

/** What the command line asked for. */
public sealed interface LaunchCommand {

  /** {@code run}: start a node of the cluster with the given options. */
  record Run(RunOptions options) implements LaunchCommand {
  }

  /** {@code keygen <dir>}: write development JWT signing keys into a folder. */
  record Keygen(Path directory, LogFormat logFormat) implements LaunchCommand {
  }

  /** {@code help}, {@code --help}, {@code -h}. */
  record Help() implements LaunchCommand {
  }
}
