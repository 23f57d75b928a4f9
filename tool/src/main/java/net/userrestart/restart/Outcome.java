// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.userrestart.marks.Mark;

/** How the work on one user manager ended. */
public sealed interface Outcome
    permits Outcome.Restarted, Outcome.Planned, Outcome.Skipped, Outcome.Failed,
        Outcome.Refused, Outcome.TimedOut {

  UserTarget user();

  /** Per-unit results, possibly partial. */
  List<UnitResult> units();

  Duration took();

  default boolean ok() {
    return this instanceof Restarted || this instanceof Planned || this instanceof Skipped;
  }

  /**
   * Of the marks this user was worked on for, those that can be forgotten: every unit they stand
   * for finished or had nothing to do. The others stay pending for the next run.
   */
  default Set<Mark> settled(Set<Mark> marks) {
    return marks.stream().filter(this::settles).collect(Collectors.toSet());
  }

  private boolean settles(Mark mark) {
    List<UnitResult> results = units().stream().filter(r -> r.isFor(mark)).toList();
    return !results.isEmpty() && results.stream().allMatch(UnitResult::settled);
  }

  /** The manager was acted on and every job finished as asked. */
  record Restarted(UserTarget user, ManagerNeed manager, List<UnitResult> units, Duration took)
      implements Outcome {
    public Restarted {
      units = List.copyOf(units);
    }

    /** As the command line asked, without a decision of this tool's. */
    public Restarted(UserTarget user, ManagerAction action, List<UnitResult> units, Duration took) {
      this(user, ManagerNeed.asked(action), units, took);
    }

    /** What was (or would be) done to the manager. */
    public ManagerAction action() {
      return manager.action();
    }
  }

  /** Dry run: what would be done. */
  record Planned(UserTarget user, ManagerNeed manager, List<UnitResult> units, Duration took)
      implements Outcome {
    public Planned {
      units = List.copyOf(units);
    }

    /** As the command line asked, without a decision of this tool's. */
    public Planned(UserTarget user, ManagerAction action, List<UnitResult> units, Duration took) {
      this(user, ManagerNeed.asked(action), units, took);
    }

    /** What was (or would be) done to the manager. */
    public ManagerAction action() {
      return manager.action();
    }
  }

  /** Asked for, but the user runs no active manager: nothing runs old code there. */
  record Skipped(UserTarget user, String reason) implements Outcome {
    @Override
    public List<UnitResult> units() {
      return List.of();
    }

    @Override
    public Duration took() {
      return Duration.ZERO;
    }
  }

  /** A step failed: the manager answered with an error, dropped us, or a job failed. */
  record Failed(UserTarget user, Step step, String message, List<UnitResult> units, Duration took)
      implements Outcome {
    public Failed {
      units = List.copyOf(units);
    }
  }

  /** The socket or its peer was not the user's own manager; nothing was sent. */
  record Refused(UserTarget user, String message, Duration took) implements Outcome {
    @Override
    public List<UnitResult> units() {
      return List.of();
    }
  }

  /** The deadline passed during {@code step}. */
  record TimedOut(UserTarget user, Step step, String message, List<UnitResult> units, Duration took)
      implements Outcome {
    public TimedOut {
      units = List.copyOf(units);
    }
  }
}
