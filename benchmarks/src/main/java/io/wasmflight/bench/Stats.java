package io.wasmflight.bench;

import java.util.Arrays;

/** Median, min, max and percentiles of a sample. */
public final class Stats {
  private Stats() {}

  public static double median(double[] xs) {
    return percentile(xs, 50);
  }

  public static double min(double[] xs) {
    return Arrays.stream(xs).min().orElse(Double.NaN);
  }

  public static double max(double[] xs) {
    return Arrays.stream(xs).max().orElse(Double.NaN);
  }

  /**
   * The {@code p}-th percentile with linear interpolation between closest ranks (p50 of an even
   * sample is the mean of the two middle values).
   */
  public static double percentile(double[] xs, double p) {
    if (xs.length == 0) {
      return Double.NaN;
    }
    double[] s = xs.clone();
    Arrays.sort(s);
    double rank = p / 100.0 * (s.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = (int) Math.ceil(rank);
    return s[lo] + (s[hi] - s[lo]) * (rank - lo);
  }
}
