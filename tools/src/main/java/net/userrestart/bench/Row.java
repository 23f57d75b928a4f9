// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * What one sandbox of N users measured: the timed runs of each way, the JVM starts (seconds) and
 * the peak of our JVM's threads (0 if not measured, -1 if that run failed).
 */
record Row(
    int users,
    List<Run> ours,
    List<Run> theirs,
    List<Double> starts,
    int exactThreads,
    String loadBefore,
    String loadAfter) {

  /** Whether every timed run restarted every unit. */
  boolean verified() {
    return Stream.concat(ours.stream(), theirs.stream()).allMatch(Run::verified);
  }

  double oursWall() {
    return median(ours, Run::wall);
  }

  double theirsWall() {
    return median(theirs, Run::wall);
  }

  double floor(int cores) {
    return median(ours, Run::managerCpu) / cores;
  }

  double start() {
    return median(starts, d -> d);
  }

  double oursToolCpu() {
    return median(ours, Run::toolCpu);
  }

  double peakRssMb() {
    return ours.stream().mapToDouble(Run::rssMb).max().orElse(0);
  }

  String summary(int cores) {
    return String.format(
        Locale.ROOT,
        "N=%d: ours %.3f s, theirs %.3f s, floor %.3f s, JVM start %.3f s (load %s -> %s)",
        users, oursWall(), theirsWall(), floor(cores), start(), loadBefore, loadAfter);
  }

  static <T> double median(List<T> xs, ToDoubleFunction<T> f) {
    double[] v = xs.stream().mapToDouble(f).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
