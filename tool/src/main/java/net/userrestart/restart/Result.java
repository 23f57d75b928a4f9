// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What became of one unit in one user manager: how its job ended, as systemd says, or why no job
 * ran or ended. {@link #word()} is what the reports print.
 */
public sealed interface Result permits Result.JobEnd, Result.OtherJobEnd, Result.NoJob {
  String word();

  /** Whether the unit ended up as asked, or had nothing to do. */
  boolean ok();

  /** Whether the unit's mark can be forgotten: its job ended, or there was nothing to do. */
  boolean settled();

  /** How a job ended, from systemd's word for it (JobRemoved's result). */
  static Result ofJob(String word) {
    JobEnd known = JobEnd.BY_WORD.get(word);
    return known != null ? known : new OtherJobEnd(word);
  }

  /** How systemd says a job ended: job_result_table in systemd's src/core/job.c. */
  enum JobEnd implements Result {
    DONE("done"),
    CANCELED("canceled"),
    TIMEOUT("timeout"),
    FAILED("failed"),
    DEPENDENCY("dependency"),
    SKIPPED("skipped"),
    INVALID("invalid"),
    ASSERT("assert"),
    UNSUPPORTED("unsupported"),
    COLLECTED("collected"),
    ONCE("once"),
    FROZEN("frozen"),
    CONCURRENCY("concurrency");

    private static final Map<String, JobEnd> BY_WORD =
        Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(JobEnd::word, Function.identity()));

    private final String word;

    JobEnd(String word) {
      this.word = word;
    }

    @Override
    public String word() {
      return word;
    }

    /** Done, or skipped: a try-restart of a unit that stopped meanwhile has nothing to do. */
    @Override
    public boolean ok() {
      return this == DONE || this == SKIPPED;
    }

    @Override
    public boolean settled() {
      return true;
    }
  }

  /** A job result word of a systemd newer than this tool: the job ended, not as asked. */
  record OtherJobEnd(String word) implements Result {
    @Override
    public boolean ok() {
      return false;
    }

    @Override
    public boolean settled() {
      return true;
    }
  }

  /** No job ran, or none ended. */
  enum NoJob implements Result {
    /** The unit does not run (for a template: no instance runs); nothing to do. */
    INACTIVE("inactive", true),
    /** The unit is loaded but has no unit file; nothing to do. */
    NOT_FOUND("not-found", true),
    /** The unit is not loaded, so it does not run; nothing to do. */
    NOT_LOADED("not-loaded", true),
    /** Dry run: the unit runs and would be restarted. */
    WOULD_RESTART("would-restart", true),
    /** Dry run: the unit runs and would be reloaded (or restarted). */
    WOULD_RELOAD("would-reload", true),
    /** The job was enqueued, but did not end by the deadline; its mark stays. */
    UNFINISHED("unfinished", false),
    /** The manager refused the job; its mark stays. */
    ERROR("error", false);

    private final String word;
    private final boolean nothingToDo;

    NoJob(String word, boolean nothingToDo) {
      this.word = word;
      this.nothingToDo = nothingToDo;
    }

    @Override
    public String word() {
      return word;
    }

    @Override
    public boolean ok() {
      return nothingToDo;
    }

    @Override
    public boolean settled() {
      return nothingToDo;
    }
  }
}
