// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * What one sandbox of N users measured: the timed runs of each way by its label, in the order
 * raced; the share of users running the unit (percent); the JVM starts (seconds); the peak of our
 * JVM's threads (0 if not measured, -1 if that run failed).
 */
record Row(
    int users,
    int runningPercent,
    Map<String, List<Run>> runs,
    List<Double> starts,
    int exactThreads,
    String loadBefore,
    String loadAfter) {

  Row {
    runs = Collections.unmodifiableMap(new LinkedHashMap<>(runs));
    starts = List.copyOf(starts);
  }

  /** Whether every timed run restarted every unit. */
  boolean verified() {
    return runs.values().stream().flatMap(List::stream).allMatch(Run::verified);
  }

  boolean has(String way) {
    return runs.containsKey(way);
  }

  double wall(String way) {
    return median(runs.getOrDefault(way, List.of()), Run::wall);
  }

  /** The user managers' own CPU (their cgroups), median, seconds. */
  double managerCpu(String way) {
    return median(runs.getOrDefault(way, List.of()), Run::managerCpu);
  }

  /** The whole sandbox's CPU, median, seconds. */
  double sandboxCpu(String way) {
    return median(runs.getOrDefault(way, List.of()), Run::sandboxCpu);
  }

  /** The managers' CPU during this way's runs ÷ cores: no client can finish sooner. */
  double floor(String way, int cores) {
    return managerCpu(way) / cores;
  }

  double start() {
    return median(starts, d -> d);
  }

  double toolCpu(String way) {
    return median(runs.getOrDefault(way, List.of()), Run::toolCpu);
  }

  double peakRssMb(String way) {
    return runs.getOrDefault(way, List.of()).stream().mapToDouble(Run::rssMb).max().orElse(0);
  }

  String summary() {
    return String.format(Locale.ROOT, "N=%d (%d %% running): ", users, runningPercent)
        + runs.keySet().stream().map(w -> String.format(Locale.ROOT, "%s %.3f s", w, wall(w))).collect(Collectors.joining(", "))
        + String.format(Locale.ROOT, ", JVM start %.3f s (load %s -> %s)", start(), loadBefore, loadAfter);
  }

  static <T> double median(List<T> xs, ToDoubleFunction<T> f) {
    double[] v = xs.stream().mapToDouble(f).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
