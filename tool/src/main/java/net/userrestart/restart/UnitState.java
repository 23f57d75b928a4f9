// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A unit's ActiveState as its user manager reports it; NOT_FOUND where it is loaded without a unit
 * file, NOT_LOADED where the manager did not list it.
 */
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
  /** Not listed: the manager has not loaded it (so it does not run), or it does not exist. */
  NOT_LOADED(null),
  /** A word this tool does not know. */
  OTHER("");

  private static final Map<String, UnitState> BY_WORD =
      Arrays.stream(values())
          .filter(s -> s.word != null)
          .collect(Collectors.toUnmodifiableMap(s -> s.word, Function.identity()));

  private final String word;

  UnitState(String word) {
    this.word = word;
  }

  /** The state a manager names; {@code null} (a unit it did not list) is NOT_LOADED. */
  static UnitState of(String word) {
    return word == null ? NOT_LOADED : BY_WORD.getOrDefault(word, OTHER);
  }

  /** Whether a try-restart would restart the unit: it runs, or is starting. */
  boolean running() {
    return this == ACTIVE || this == RELOADING || this == ACTIVATING;
  }

  /** Why a unit in this state gets no job. */
  Result.NoJob noJob() {
    return switch (this) {
      case NOT_FOUND -> Result.NoJob.NOT_FOUND;
      case NOT_LOADED -> Result.NoJob.NOT_LOADED;
      default -> Result.NoJob.INACTIVE;
    };
  }
}
