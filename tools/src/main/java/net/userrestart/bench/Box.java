// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.userrestart.sandbox.ExecResult;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxUser;
import net.userrestart.sandbox.Trial;

/** A booted sandbox with the benchmark's scripts in it. */
final class Box {
  static final String UNIT = "sur-bench.service";
  static final String UNIT_FILE = Trial.sleeper("benchmark sleeper");
  static final String DIR = "/run/bench";
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

  /* timed.sh LABEL CMD...: prints "EXIT WALL_NS". "MAXRSS_KB USER_S SYS_S" of CMD (the launcher
   * execs java, so the JVM's) go to LABEL.time, its output to LABEL.out and LABEL.err. The clock
   * runs around time(1), which costs about a millisecond. */
  private static final String TIMED =
      "label=$1\nshift\nd=" + DIR + "\nrm -f \"$d/$label.time\"\n"
          + "s=$(date +%s%N)\n"
          + "/usr/bin/time -f '%M %U %S' -o \"$d/$label.time\""
          + " \"$@\" >\"$d/$label.out\" 2>\"$d/$label.err\"\n"
          + "rc=$?\ne=$(date +%s%N)\necho \"$rc $((e - s))\"\n";

  /* The rpm helper's way (systemd's systemd-update-helper, user-reexec then user-restart): the
   * users from PID 1, each step for all users in parallel. */
  private static final String RPM_HELPER =
      "users=$(systemctl list-units 'user@*' --legend=no | sed -n -r 's/.*user@([0-9]+).service.*/\\1/p')\n"
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" daemon-reexec || echo \"daemon-reexec failed: $user\" >&2 &\n"
          + "done\nwait\n"
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" reload-or-restart --marked || echo \"reload-or-restart failed: $user\" >&2 &\n"
          + "done\nwait\n";

  /* mark-theirs.sh UNIT UID...: systemd's own marker, set the way the rpm macros do. */
  private static final String MARK_THEIRS =
      "unit=$1\nshift\nfor uid in \"$@\"; do\n"
          + "  systemctl --user -M \"$uid@\" set-property \"$unit\" Markers=+needs-restart"
          + " || echo \"marking failed: $uid\" >&2 &\ndone\nwait\n";

  /* state.sh UNIT UID...: "UID MainPID=… ActiveState=… Markers=…" per user, asked over the user
   * manager's private socket as the user, the way systemctl --user does. */
  private static final String STATE =
      "unit=$1\nshift\nfor uid in \"$@\"; do\n"
          + "  out=$(setpriv --reuid=\"$uid\" --regid=\"$uid\" --clear-groups env XDG_RUNTIME_DIR=/run/user/$uid"
          + " systemctl --user show -p MainPID -p ActiveState -p Markers \"$unit\" | tr '\\n' ' ')\n"
          + "  echo \"$uid $out\"\ndone\n";

  final Sandbox sandbox;

  Box(Sandbox sandbox) {
    this.sandbox = sandbox;
  }

  void install() {
    sandbox.writeFile(DIR + "/timed.sh", TIMED);
    sandbox.writeFile(DIR + "/rpm-helper.sh", RPM_HELPER);
    sandbox.writeFile(DIR + "/mark-theirs.sh", MARK_THEIRS);
    sandbox.writeFile(DIR + "/state.sh", STATE);
  }

  List<Integer> uids() {
    return sandbox.users().stream().map(SandboxUser::uid).toList();
  }

  /** Runs argv (with env, if any) under timed.sh, as LABEL. */
  Timed timed(String label, List<String> env, String... argv) {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", DIR + "/timed.sh", label));
    if (!env.isEmpty()) {
      cmd.add("env");
      cmd.addAll(env);
    }
    cmd.addAll(Arrays.asList(argv));
    ExecResult r = sandbox.exec(RUN_TIMEOUT, cmd.toArray(String[]::new)).orThrow("timing " + label);
    String[] f = r.stdout().strip().split(" ");
    return new Timed(Integer.parseInt(f[0]), Long.parseLong(f[1]));
  }

  /** A file of DIR, or "" if it cannot be read. */
  String text(String name) {
    try {
      return Files.readString(sandbox.hostPath(DIR + "/" + name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The state of UNIT, by UID, for every user. */
  Map<Integer, UnitState> states() {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", DIR + "/state.sh", UNIT));
    uids().forEach(u -> cmd.add(Integer.toString(u)));
    ExecResult r = sandbox.exec(RUN_TIMEOUT, cmd.toArray(String[]::new)).orThrow("reading unit states");
    Map<Integer, UnitState> states = new LinkedHashMap<>();
    for (String line : r.stdout().split("\n")) {
      String[] words = line.strip().split("\\s+");
      if (words.length == 0 || words[0].isEmpty()) {
        continue;
      }
      Map<String, String> kv = new HashMap<>();
      for (int i = 1; i < words.length; i++) {
        int eq = words[i].indexOf('=');
        if (eq > 0) {
          kv.put(words[i].substring(0, eq), words[i].substring(eq + 1));
        }
      }
      states.put(
          Integer.parseInt(words[0]),
          new UnitState(kv.getOrDefault("MainPID", "?"), kv.getOrDefault("ActiveState", "?"), kv.getOrDefault("Markers", "")));
    }
    if (states.size() != uids().size()) {
      throw new IllegalStateException("unit states of " + states.size() + " users, not " + uids().size() + ": " + r);
    }
    return states;
  }

  /** usage_usec of every user@UID.service cgroup, summed: the managers and their children. */
  long managerCpuMicros() {
    long sum = 0;
    for (int uid : uids()) {
      sum += usage(sandbox.hostCgroup().resolve("user.slice/user-" + uid + ".slice/user@" + uid + ".service/cpu.stat"));
    }
    return sum;
  }

  /** usage_usec of the whole sandbox: PID 1, logind, D-Bus, the tools, the user managers. */
  long sandboxCpuMicros() {
    return usage(sandbox.hostCgroup().resolve("cpu.stat"));
  }

  private static long usage(Path cpuStat) {
    try {
      for (String line : Files.readAllLines(cpuStat)) {
        if (line.startsWith("usage_usec ")) {
          return Long.parseLong(line.substring("usage_usec ".length()).strip());
        }
      }
      throw new IllegalStateException(cpuStat + " has no usage_usec (kernel without cgroup v2 cpu.stat?)");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + cpuStat + ": " + e.getMessage(), e);
    }
  }

  /** What timed.sh printed: the exit code and wall time of the command. */
  record Timed(int exit, long nanos) {
    double seconds() {
      return nanos / 1e9;
    }
  }

  record UnitState(String mainPid, String activeState, String markers) {
    @Override
    public String toString() {
      return "MainPID=" + mainPid + " " + activeState + (markers.isEmpty() ? "" : " " + markers);
    }
  }
}
