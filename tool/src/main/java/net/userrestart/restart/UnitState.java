// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** A unit's ActiveState as its user manager reports it, or NOT_FOUND when it is not loaded. */
enum UnitState {
  ACTIVE("active"),
  RELOADING("reloading"),
  ACTIVATING("activating"),
  REFRESHING("refreshing"),
  DEACTIVATING("deactivating"),
  INACTIVE("inactive"),
  FAILED("failed"),
  MAINTENANCE("maintenance"),
  NOT_FOUND("not-found"),
  /** A word this tool does not know. */
  OTHER("");

  private static final Map<String, UnitState> BY_WORD =
      Arrays.stream(values())
          .collect(Collectors.toUnmodifiableMap(s -> s.word, Function.identity()));

  private final String word;

  UnitState(String word) {
    this.word = word;
  }

  /** The state a manager names; {@code null} (a unit it did not list) is NOT_FOUND. */
  static UnitState of(String word) {
    return word == null ? NOT_FOUND : BY_WORD.getOrDefault(word, OTHER);
  }

  /** Whether a try-restart would restart the unit: it runs, or is starting. */
  boolean running() {
    return this == ACTIVE || this == RELOADING || this == ACTIVATING;
  }
}
