// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.testutil;

import java.util.List;
import java.util.function.Supplier;

/** Counts the threads this tool and dbus-java start, to find leaks. */
public final class Threads {
  private Threads() {}

  /** Whether a thread is one that a connection, a run or a connector starts. */
  public static boolean ours(Thread t) {
    String name = t.getName();
    return name.startsWith("DBus")
        || name.startsWith("user-worker")
        || name.startsWith("pid1-connect");
  }

  /** Live threads of ours, by name. */
  public static List<String> live() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(Threads::ours)
        .map(Thread::getName)
        .sorted()
        .toList();
  }

  /**
   * Waits up to {@code graceMillis} for the live threads of ours to be no more than {@code
   * baseline}; returns those left (empty when none leaked).
   */
  public static List<String> leakedSince(List<String> baseline, long graceMillis) {
    long until = System.nanoTime() + graceMillis * 1_000_000;
    List<String> now = live();
    while (now.size() > baseline.size() && System.nanoTime() < until) {
      sleep(20);
      now = live();
    }
    return now.size() > baseline.size() ? now : List.of();
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Milliseconds {@code action} took. */
  public static <T> long millis(Supplier<T> action) {
    long start = System.nanoTime();
    action.get();
    return (System.nanoTime() - start) / 1_000_000;
  }
}
