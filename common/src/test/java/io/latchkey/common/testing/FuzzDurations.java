package io.latchkey.common.testing;

/**
 * How long a {@code @FuzzTest} fuzzes at most when it runs in fuzzing mode ({@code JAZZER_FUZZ=1}).
 * Jazzer 0.24 takes the duration from the annotation only (no system property, and a libFuzzer
 * {@code -max_total_time} passed otherwise is overridden by the annotation's), so every fuzz test
 * names this constant, and {@code scripts/fuzz.sh TARGET SECONDS} stops a run at the time asked
 * (rounds of this length, the last one interrupted). In regression mode (the default, as in
 * {@code mvn verify}) a fuzz test runs its committed inputs once and this has no effect.
 */
public final class FuzzDurations {

  /** The longest single fuzzing run. */
  public static final String ROUND = "10m";

  private FuzzDurations() {
  }
}
