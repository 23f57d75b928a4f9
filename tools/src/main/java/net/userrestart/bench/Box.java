// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
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

/** A booted sandbox with the benchmark's scripts and the installed tool in it. */
final class Box {
  static final String UNIT = "sur-bench.service";
  /* No start rate limit: with one user, the runs restart it more than 5 times in 10 s. */
  static final String UNIT_FILE =
      "[Unit]\nDescription=benchmark sleeper\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep infinity\n"
          + "[Install]\nWantedBy=default.target\n";
  static final String DIR = "/run/bench";
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

  /* The users of the active user@UID.service units, as upstream's helper finds them. */
  private static final String USERS =
      "users=$(systemctl list-units 'user@*' --legend=no | sed -n -r 's/.*user@([0-9]+).service.*/\\1/p')\n";

  /** Where the tool is installed inside, as its RPM installs it: the launcher keeps its archive in /var/cache. */
  static final String TOOL = "/usr/bin/systemd-user-restart";
  static final String JAR = "/usr/share/systemd-user-restart/systemd-user-restart.jar";
  static final String CACHE = "/var/cache/systemd-user-restart";
  /** The unit of the one-package case, shipped where a package ships it; not enabled. */
  static final String PACKAGE_UNIT = "sur-bench-pkg.service";
  static final String PACKAGE_UNIT_PATH = "/usr/lib/systemd/user/" + PACKAGE_UNIT;

  /* timed.sh LABEL CMD...: prints "EXIT WALL_NS". "MAXRSS_KB USER_S SYS_S" of CMD (the launcher
   * execs java, so the JVM's) go to LABEL.time, its output to LABEL.out and LABEL.err. The clock
   * runs around time(1), which costs about a millisecond. */
  private static final String TIMED =
      "label=$1\nshift\nd=" + DIR + "\nrm -f \"$d/$label.time\"\n"
          + "s=$(date +%s%N)\n"
          + "\"$d/time\" -f '%M %U %S' -o \"$d/$label.time\""
          + " \"$@\" >\"$d/$label.out\" 2>\"$d/$label.err\"\n"
          + "rc=$?\ne=$(date +%s%N)\necho \"$rc $((e - s))\"\n";

  /* The older helper's way (systemd's systemd-update-helper before 257, user-reexec then
   * user-restart): the users from PID 1, each step for all users in parallel. */
  private static final String UPSTREAM_OLDER =
      USERS
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" daemon-reexec || echo \"daemon-reexec failed: $user\" >&2 &\n"
          + "done\nwait\n"
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" reload-or-restart --marked || echo \"reload-or-restart failed: $user\" >&2 &\n"
          + "done\nwait\n";

  /* Upstream's current way (257 and later, as in Arch's hook): one reload of every user@.service,
   * which re-executes the managers through PID 1 (Type=notify-reload, ReloadSignal=RTMIN+25) and
   * waits for them, then the marked units per user, in parallel. @VERB@ is enqueue-marked where
   * systemctl has it (262), else the form it replaces. */
  private static final String UPSTREAM_CURRENT =
      "systemctl reload 'user@*.service' || echo 'reload of user@*.service failed' >&2\n"
          + USERS
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" @VERB@ || echo \"@VERB@ failed: $user\" >&2 &\n"
          + "done\nwait\n";

  /* The re-execs of upstream's current way alone, for the bound: no unit is restarted. */
  private static final String REEXEC_ALONE =
      "systemctl reload 'user@*.service' || echo 'reload of user@*.service failed' >&2\n";

  /* mark-upstream.sh UNIT: upstream's mark-restart-user-units, one systemctl --user -M per user
   * and unit, for the users PID 1 lists. */
  private static final String MARK_UPSTREAM =
      "unit=$1\n"
          + USERS
          + "for user in $users; do\n"
          + "  systemctl --user -M \"$user@\" set-property \"$unit\" Markers=+needs-restart"
          + " || echo \"marking failed: $user\" >&2 &\ndone\nwait\n";

  /* mark-upstream-setup.sh UNIT: the same marking as mark-upstream.sh, before upstream's timed
   * ways, untimed, a few users at a time (perUserSetup). */
  private static final String MARK_UPSTREAM_SETUP =
      "unit=$1\n" + USERS + perUserSetup("$users", "set-property \"$unit\" Markers=+needs-restart");

  /* mark-ours.sh UNIT: what our %user_restart_postun_with_restart expands to in %postun on upgrade. */
  private static final String MARK_OURS =
      "set -- 2 \"$1\"\nu=$2\n"
          + "if [ \"$1\" -ge 1 ] && [ -d /run/systemd/system ]; then\n"
          + "  for _sur_unit in \"$u\"; do\n"
          + "    case \"$_sur_unit\" in */*|'') continue ;; esac\n"
          + "    [ -d /run/systemd-user-restart/restart ] || mkdir -p /run/systemd-user-restart/restart || break\n"
          + "    true > \"/run/systemd-user-restart/restart/$_sur_unit\"\n"
          + "  done 2>/dev/null || :\nfi\n";

  /* state.sh UNIT UID...: "UID MainPID=… ActiveState=… Markers=… Description=…" per user, asked
   * over the user manager's private socket as the user, the way systemctl --user does. */
  private static final String STATE =
      "unit=$1\nshift\nfor uid in \"$@\"; do\n"
          + "  out=$(setpriv --reuid=\"$uid\" --regid=\"$uid\" --clear-groups env XDG_RUNTIME_DIR=/run/user/$uid"
          + " systemctl --user show -p MainPID -p ActiveState -p Markers -p Description \"$unit\" | tr '\\n' ' ')\n"
          + "  echo \"$uid $out\"\ndone\n";

  /**
   * Shell that runs {@code systemctl --user -M UID@ ARGS} for each UID of the word list {@code
   * uids}, 32 at a time: the benchmark's untimed setup. All at once, 200 users fail on systemd
   * 262: each call opens a PAM session through PID 1, and logind takes 128 connections from one
   * UID at once, PID 1's bus queue even fewer calls.
   */
  static String perUserSetup(String uids, String args) {
    return "for uid in " + uids + "; do echo \"$uid\"; done | xargs -r -P 32 -I {}"
        + " systemctl --user -M {}@ " + args + "\n";
  }

  final Sandbox sandbox;

  Box(Sandbox sandbox) {
    this.sandbox = sandbox;
  }

  /**
   * The scripts, and the tool from the checkout's target/ where its RPM puts it; with archive
   * false, the launcher's cache folder is made a file, so it can neither find nor make an archive.
   * Returns the verb upstream's current way uses per user.
   */
  String install(Path project, boolean archive) {
    Path target = project.resolve("target");
    sandbox
        .exec(RUN_TIMEOUT, "/bin/sh", "-c",
            "install -m 0755 " + project.resolve("bin/systemd-user-restart") + " " + TOOL
                + " && mkdir -p /usr/share/systemd-user-restart && rm -rf " + CACHE
                + " && cp -r " + target.resolve("systemd-user-restart.jar") + " " + target.resolve("lib")
                + " /usr/share/systemd-user-restart/"
                + (archive ? " && mkdir -p " + CACHE : " && true >" + CACHE))
        .orThrow("installing the tool");
    // systemctl 262 deprecates reload-or-restart --marked for enqueue-marked.
    String verb =
        sandbox.exec(RUN_TIMEOUT, "/bin/sh", "-c", "systemctl --help | grep -q -w enqueue-marked").ok()
            ? "enqueue-marked" : "reload-or-restart --marked";
    sandbox.writeFile(DIR + "/timed.sh", TIMED);
    // This machine's time(1), which OS trees made with debootstrap --variant=minbase lack.
    try {
      Files.copy(Path.of("/usr/bin/time"), sandbox.hostPath(DIR + "/time"));
    } catch (IOException e) {
      throw new UncheckedIOException("copying /usr/bin/time into the sandbox", e);
    }
    sandbox.exec(RUN_TIMEOUT, "chmod", "0755", DIR + "/time").orThrow("chmod time");
    sandbox.writeFile(DIR + "/upstream-older.sh", UPSTREAM_OLDER);
    sandbox.writeFile(DIR + "/upstream-current.sh", UPSTREAM_CURRENT.replace("@VERB@", verb));
    sandbox.writeFile(DIR + "/reexec-alone.sh", REEXEC_ALONE);
    sandbox.writeFile(DIR + "/mark-upstream.sh", MARK_UPSTREAM);
    sandbox.writeFile(DIR + "/mark-upstream-setup.sh", MARK_UPSTREAM_SETUP);
    sandbox.writeFile(DIR + "/mark-ours.sh", MARK_OURS);
    sandbox.writeFile(DIR + "/state.sh", STATE);
    return verb;
  }

  /** The script of a way that is not ours. */
  static String script(Way.Kind kind) {
    return DIR + switch (kind) {
      case UPSTREAM_CURRENT -> "/upstream-current.sh";
      case UPSTREAM_OLDER -> "/upstream-older.sh";
      case REEXEC_ALONE -> "/reexec-alone.sh";
      case TOOL -> throw new IllegalArgumentException("ours has no script");
    };
  }

  /** The archive the launcher made (class-data archive or AOT cache), or "" if none. */
  String archiveName() {
    return sandbox.exec(RUN_TIMEOUT, "/bin/sh", "-c", "cd " + CACHE + " 2>/dev/null && ls *.jsa *.aot 2>/dev/null")
        .stdout().strip();
  }

  /** The JVM's version, as its release file says. */
  String javaVersion() {
    return sandbox.exec(RUN_TIMEOUT, "/bin/sh", "-c", "sed -n 's/^JAVA_VERSION=\"\\(.*\\)\"/\\1/p'"
        + " \"$(dirname \"$(dirname \"$(readlink -f \"$(command -v java)\")\")\")/release\"").stdout().strip();
  }

  /** systemd's version, as systemctl says. */
  String systemdVersion() {
    return sandbox.exec(RUN_TIMEOUT, "/bin/sh", "-c", "systemctl --version | sed -n 1p").stdout().strip();
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

  /** The state of unit, by UID, for every user. */
  Map<Integer, UnitState> states(String unit) {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", DIR + "/state.sh", unit));
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
          new UnitState(kv.getOrDefault("MainPID", "?"), kv.getOrDefault("ActiveState", "?"), kv.getOrDefault("Markers", ""),
              kv.getOrDefault("Description", "")));
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

  record UnitState(String mainPid, String activeState, String markers, String description) {
    @Override
    public String toString() {
      return "MainPID=" + mainPid + " " + activeState + (markers.isEmpty() ? "" : " " + markers) + " " + description;
    }
  }
}
