// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What {@code systemd-user-restart sandbox} does inside a booted sandbox: the built-in demo, or a
 * packager's install-then-upgrade with real rpm, and what became of each user unit.
 */
public final class Trial {
  /**
   * The rpm database, named: Fedora's default, where the README installs the tool; Debian's rpm
   * would otherwise use /root/.rpmdb and not see it.
   */
  public static final String RPM_DB = "/var/lib/rpm";

  /** The demo's unit that gets marked, and one that does not. */
  public static final String DEMO_MARKED = "sur-demo.service";

  public static final String DEMO_KEPT = "sur-demo-kept.service";

  private static final Duration STEP = Duration.ofMinutes(5);

  private final Sandbox sandbox;
  private final List<String> tool;
  private final Consumer<String> progress;

  /**
   * @param tool the command line that runs this tool inside (java, flags, -jar, the jar)
   */
  public Trial(Sandbox sandbox, List<String> tool, Consumer<String> progress) {
    this.sandbox = sandbox;
    this.tool = List.copyOf(tool);
    this.progress = progress;
  }

  /** The demo units every sandbox user runs. */
  public static Map<String, String> demoUnits() {
    Map<String, String> units = new LinkedHashMap<>();
    units.put(DEMO_MARKED, sleeper("demo service that gets marked for restart"));
    units.put(DEMO_KEPT, sleeper("demo service that nobody marks"));
    return units;
  }

  /**
   * A user unit that runs until stopped, so that a restart shows as a new MainPID. Without the
   * start rate limit (5 starts in 10 s): tests restart the same unit more often than that on a
   * fast machine, and since systemd 257 the count survives a re-exec of the user manager.
   */
  public static String sleeper(String description) {
    return "[Unit]\nDescription=" + description + "\nStartLimitIntervalSec=0\n"
        + "[Service]\nExecStart=/bin/sleep infinity\n"
        + "[Install]\nWantedBy=default.target\n";
  }

  /** What one run of the tool inside printed, and what happened to the units. */
  public record Result(ExecResult run, List<UnitChange> changes) {}

  /** A unit of one user, before and after. */
  public record UnitChange(
      SandboxUser user,
      String unit,
      String oldPid,
      String newPid,
      boolean restarted,
      List<String> oldFilesInUse) {
    public UnitChange {
      oldFilesInUse = List.copyOf(oldFilesInUse);
    }
  }

  /** Marks the demo unit with the tool, runs it for every user, reports both demo units. */
  public Result demo() {
    List<String> units = List.of(DEMO_MARKED, DEMO_KEPT);
    Map<String, String[]> before = snapshot(units);
    progress.accept("sandbox: marking " + DEMO_MARKED + " with: systemd-user-restart mark " + DEMO_MARKED);
    ExecResult mark = tool("mark", DEMO_MARKED);
    if (!mark.ok()) {
      throw new SandboxException("marking failed: " + mark.stderr().strip());
    }
    progress.accept("sandbox: running: systemd-user-restart --all-users");
    ExecResult run = tool("--all-users");
    return new Result(run, compare(units, before, Set.of()));
  }

  /**
   * Installs {@code toolRpm} (when given) and the old packages, starts their user units (or {@code
   * units}) for every user, upgrades to the new packages, and reports each unit.
   */
  public Result upgrade(Path toolRpm, List<Path> oldRpms, List<Path> newRpms, List<String> units) {
    List<String> opts = new ArrayList<>(List.of("--dbpath", RPM_DB));
    opts.addAll(installOptions(sandbox.exec(STEP, "rpm", "--help").stdout()));
    List<String> install = new ArrayList<>(List.of("rpm", "-i"));
    install.addAll(opts);
    if (toolRpm != null) {
      install.add(toolRpm.toString());
    }
    oldRpms.forEach(p -> install.add(p.toString()));
    progress.accept("sandbox: installing " + names(toolRpm, oldRpms));
    ExecResult in = sandbox.exec(STEP, install.toArray(String[]::new));
    if (!in.ok()) {
      throw new SandboxException("rpm -i failed: " + (in.stderr() + in.stdout()).strip());
    }
    List<String> chosen = units.isEmpty() ? userUnitsOf(oldRpms) : units;
    if (chosen.isEmpty()) {
      throw new SandboxException("the old packages ship no user service; name units with --unit");
    }
    Set<String> oldFiles = filesOf(oldRpms);
    for (SandboxUser u : sandbox.users()) {
      List<String> start = new ArrayList<>(List.of("systemctl", "--user", "start", "--"));
      start.addAll(chosen);
      sandbox.execAsUser(u, STEP, "systemctl", "--user", "daemon-reload");
      ExecResult r = sandbox.execAsUser(u, STEP, start.toArray(String[]::new));
      if (!r.ok()) {
        throw new SandboxException("starting " + chosen + " for " + u.name() + " failed: " + r.stderr().strip());
      }
    }
    progress.accept("sandbox: started " + String.join(" ", chosen) + " for " + sandbox.users().size() + " users");
    Map<String, String[]> before = snapshot(chosen);
    List<String> upgrade = new ArrayList<>(List.of("rpm", "-U"));
    upgrade.addAll(opts);
    newRpms.forEach(p -> upgrade.add(p.toString()));
    progress.accept("sandbox: upgrading to " + names(null, newRpms) + " (scriptlets and file triggers run as on a real system)");
    ExecResult up = sandbox.exec(STEP, upgrade.toArray(String[]::new));
    if (!up.ok()) {
      throw new SandboxException("rpm -U failed: " + (up.stderr() + up.stdout()).strip());
    }
    return new Result(up, compare(chosen, before, oldFiles));
  }

  private ExecResult tool(String... args) {
    List<String> argv = new ArrayList<>(tool);
    argv.addAll(List.of(args));
    return sandbox.exec(STEP, argv.toArray(String[]::new));
  }

  /**
   * Options of rpm's install modes (-i, -U), given what {@code rpm --help} printed: no dependency
   * checks (java-headless and /bin/sh are not in the rpm database); no signature required, as the
   * packages tried are fresh builds and the sandbox's rpm database holds no keys (rpm 6 configured
   * to enforce signatures, as upstream's default and Fedora from 45, refuses unsigned packages;
   * digests are still checked); and for Debian's rpm the option that says installing is deliberate
   * (Fedora's does not know it).
   */
  public static List<String> installOptions(String rpmHelp) {
    List<String> opts = new ArrayList<>(List.of("--nodeps", "--nosignature"));
    if (rpmHelp.contains("--force-debian")) {
      opts.add("--force-debian");
    }
    return opts;
  }

  private List<String> userUnitsOf(List<Path> rpms) {
    Set<String> units = new LinkedHashSet<>();
    for (String file : filesOf(rpms)) {
      if (file.matches("/(usr/lib|etc)/systemd/user/[^/]+\\.service") && !file.contains("@.")) {
        units.add(file.substring(file.lastIndexOf('/') + 1));
      }
    }
    return new ArrayList<>(units);
  }

  private Set<String> filesOf(List<Path> rpms) {
    Set<String> files = new LinkedHashSet<>();
    for (Path rpm : rpms) {
      ExecResult r = sandbox.exec(STEP, "rpm", "-qlp", "--nosignature", rpm.toString());
      r.stdout().lines().filter(l -> l.startsWith("/")).forEach(files::add);
    }
    return files;
  }

  /** MainPID and InvocationID of each unit of each user. */
  private Map<String, String[]> snapshot(List<String> units) {
    Map<String, String[]> ids = new LinkedHashMap<>();
    for (SandboxUser u : sandbox.users()) {
      for (String unit : units) {
        ids.put(
            u.uid() + "/" + unit,
            new String[] {
              sandbox.userUnitProperty(u, unit, "MainPID"),
              sandbox.userUnitProperty(u, unit, "InvocationID")
            });
      }
    }
    return ids;
  }

  private List<UnitChange> compare(List<String> units, Map<String, String[]> before, Set<String> oldFiles) {
    Map<String, String[]> after = snapshot(units);
    List<UnitChange> changes = new ArrayList<>();
    for (SandboxUser u : sandbox.users()) {
      for (String unit : units) {
        String key = u.uid() + "/" + unit;
        String[] b = before.get(key);
        String[] a = after.get(key);
        boolean restarted = !a[1].isEmpty() && !a[1].equals(b[1]);
        changes.add(new UnitChange(u, unit, b[0], a[0], restarted, replacedFilesInUse(a[0], oldFiles)));
      }
    }
    return changes;
  }

  /*
   * rpm replaces a file by renaming a new one over it: a process still using the old one holds an
   * inode whose name ends in " (deleted)" in /proc/PID/exe, maps or fd.
   */
  private List<String> replacedFilesInUse(String pid, Set<String> packageFiles) {
    if (pid.isEmpty() || pid.equals("0")) {
      return List.of();
    }
    String script =
        "p=/proc/$1; { readlink $p/exe; cut -c74- $p/maps 2>/dev/null; "
            + "for f in $p/fd/*; do readlink \"$f\"; done; } 2>/dev/null | grep ' (deleted)$' | sort -u";
    ExecResult r = sandbox.exec(STEP, "sh", "-c", script, "sh", pid);
    List<String> inUse = new ArrayList<>();
    for (String line : r.stdout().lines().toList()) {
      String path = line.strip().replaceFirst(" \\(deleted\\)$", "");
      if (packageFiles.isEmpty() || packageFiles.contains(path)) {
        inUse.add(path);
      }
    }
    return inUse;
  }

  private static String names(Path first, List<Path> rest) {
    List<String> names = new ArrayList<>();
    if (first != null) {
      names.add(first.getFileName().toString());
    }
    rest.forEach(p -> names.add(p.getFileName().toString()));
    return String.join(" ", names);
  }
}
