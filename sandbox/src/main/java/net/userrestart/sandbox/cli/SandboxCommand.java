// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.userrestart.log.Shown;
import net.userrestart.report.Json;
import net.userrestart.report.Table;
import net.userrestart.systemd.UnitName;
import net.userrestart.sandbox.HostView;
import net.userrestart.sandbox.OsTree;
import net.userrestart.sandbox.Sandbox;
import net.userrestart.sandbox.SandboxException;
import net.userrestart.sandbox.SandboxSpec;
import net.userrestart.sandbox.Trial;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Boots a throwaway systemd with lingering users and shows what a run (or an upgrade) does. */
@Command(
    name = "sandbox",
    mixinStandardHelpOptions = true,
    versionProvider = SandboxMain.Version.class,
    sortOptions = false,
    description = {
      "Boot this machine's systemd as PID 1 of throwaway namespaces (an overlay of / on tmpfs,"
          + " its own cgroup and network) with lingering test users, and show what"
          + " systemd-user-restart does there. Nothing touches the host, and everything is torn"
          + " down at the end, on failure, Ctrl-C or SIGTERM. With --root, the overlay's lower"
          + " layer is an OS tree instead of /: its systemd, rpm and JVM run, and the tree is"
          + " never written to.",
      "",
      "Without packages: a demo. Every user runs two demo services; one is marked and the tool"
          + " runs for all users. With --install and --upgrade: installs the old packages with"
          + " rpm, starts their user services for every user, upgrades with rpm (scriptlets and"
          + " file triggers run as on a real system) and reports, per user and unit, whether it was"
          + " restarted and whether its process still uses replaced files.",
      "",
      "Needs root, unshare(1) and nsenter(1). Progress goes to standard error, the report to"
          + " standard output."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:Every expectation was met (demo: the marked unit restarted, the other kept).",
      "1:An expectation failed.",
      "2:Invalid command line.",
      "3:Not running as root.",
      "4:--root is not an OS tree to boot (absolute, a directory owned by root, with lib/systemd/systemd).",
      "7:The sandbox could not boot, or a step inside it failed."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  The demo, with three users:",
      "    systemd-user-restart sandbox --users 3",
      "  A packager's check, for a CI job:",
      "    systemd-user-restart sandbox --tool-rpm systemd-user-restart-0.1.0-1.noarch.rpm \\",
      "        --install foo-1.rpm --upgrade foo-2.rpm --expect-restart foo.service",
      "  The same on the release you target, an OS tree made with debootstrap:",
      "    systemd-user-restart sandbox --root /var/cache/systemd-user-restart-trees/sid \\",
      "        --tool-rpm systemd-user-restart-0.1.0-1.noarch.rpm \\",
      "        --install foo-1.rpm --upgrade foo-2.rpm --expect-restart foo.service"
    })
final class SandboxCommand implements Callable<Integer> {
  private final Map<String, String> env;

  @Spec CommandSpec spec;

  @Option(names = "--users", paramLabel = "N", defaultValue = "2", description = "Lingering users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--install", paramLabel = "OLD.rpm", arity = "1..*", description = "Packages to install first.")
  List<Path> install = new ArrayList<>();

  @Option(names = "--upgrade", paramLabel = "NEW.rpm", arity = "1..*", description = "Packages to upgrade to.")
  List<Path> upgrade = new ArrayList<>();

  @Option(
      names = "--tool-rpm",
      paramLabel = "FILE",
      description = "The systemd-user-restart RPM, whose file triggers run the restart (not needed when it is installed here).")
  Path toolRpm;

  @Option(names = "--unit", paramLabel = "UNIT", description = "User units to start and watch (default: the packages' user services).")
  List<String> units = new ArrayList<>();

  @Option(names = "--expect-restart", paramLabel = "UNIT", description = "Fail unless UNIT was restarted for every user and runs no replaced file.")
  List<String> expectRestart = new ArrayList<>();

  @Option(names = "--expect-kept", paramLabel = "UNIT", description = "Fail unless UNIT kept running, not restarted, for every user.")
  List<String> expectKept = new ArrayList<>();

  @Option(
      names = "--root",
      paramLabel = "DIR",
      description = "Boot the OS tree in DIR (made with debootstrap, say) instead of this machine's /; the tool runs on its JVM and rpm.")
  Path root;

  @Option(names = "--keep", description = "Leave the sandbox running until Ctrl-C, and print how to enter it.")
  boolean keep;

  @Option(names = "--json", description = "Print the report as one JSON object on standard output.")
  boolean json;

  SandboxCommand(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    boolean packages = !install.isEmpty() || !upgrade.isEmpty();
    checkArguments(packages);
    Packages rpms = Packages.resolve(toolRpm, install, upgrade);
    if (!Sandbox.runsAsRoot()) {
      throw new CommandFailure(ExitCode.NOT_ROOT, "the sandbox needs root (namespaces, mounts, cgroups)");
    }
    Path tree = checkRoot();
    SandboxSpec sandboxSpec = SandboxSpec.of(users).withRoot(tree);
    List<String> tool = List.of();
    List<Path> needed = new ArrayList<>(rpms.all());
    if (!packages) {
      for (Map.Entry<String, String> unit : Trial.demoUnits().entrySet()) {
        sandboxSpec = sandboxSpec.withUserUnit(unit.getKey(), unit.getValue());
      }
      ToolFiles files = ToolFiles.find(env.get(ToolFiles.LAUNCHER_VARIABLE));
      files = sandboxSpec.onHostRoot() ? files : files.onTreeJvm();
      tool = files.command();
      needed.addAll(files.all());
    }
    // Only what the sandbox would not show anyway, as files: a bound folder such as /usr/bin
    // would make every package that installs into it fail. A tree shows none of them.
    for (Path bind : HostView.forRoot(tree).toBind(needed)) {
      sandboxSpec = sandboxSpec.withBindReadOnly(bind);
    }
    try (Sandbox sandbox = Sandbox.boot(sandboxSpec, line -> { err.println(line); err.flush(); })) {
      Trial trial = new Trial(sandbox, tool, line -> { err.println(line); err.flush(); });
      Trial.Result result =
          packages ? trial.upgrade(rpms.tool(), rpms.install(), rpms.upgrade(), units) : trial.demo();
      List<String> failures = packages ? expectations(result) : demoExpectations(result);
      report(result, failures, packages);
      if (keep) {
        keepRunning(sandbox, err);
      }
      return (failures.isEmpty() ? ExitCode.OK : ExitCode.EXPECTATION_FAILED).code();
    } catch (SandboxException e) {
      throw new CommandFailure(ExitCode.SANDBOX, "sandbox: " + e.getMessage());
    }
  }

  private void checkArguments(boolean packages) {
    if (packages && (install.isEmpty() || upgrade.isEmpty())) {
      throw new CommandFailure(ExitCode.USAGE, "--install and --upgrade go together");
    }
    if (users < 1 || users > SandboxSpec.MAX_USERS) {
      throw new CommandFailure(ExitCode.USAGE, "--users must be between 1 and " + SandboxSpec.MAX_USERS);
    }
    for (List<String> names : List.of(units, expectRestart, expectKept)) {
      for (String unit : names) {
        String problem = UnitName.problem(unit);
        if (problem != null) {
          throw new CommandFailure(
              ExitCode.USAGE, "'" + UnitName.printable(unit, Integer.MAX_VALUE) + "': " + problem);
        }
      }
    }
  }

  /** The OS tree of --root as a real path, or the host's root; a usage error of its own. */
  private Path checkRoot() {
    if (root == null) {
      return OsTree.HOST;
    }
    String shown = Shown.of(root.toString());
    OsTree.problem(root).ifPresent(p -> { throw new CommandFailure(ExitCode.BAD_ROOT, "--root " + shown + ": " + p); });
    try {
      return root.toRealPath();
    } catch (IOException e) {
      throw new CommandFailure(ExitCode.BAD_ROOT, "--root " + shown + ": " + e.getMessage());
    }
  }

  private List<String> demoExpectations(Trial.Result result) {
    List<String> failures = new ArrayList<>();
    if (!result.run().ok()) {
      failures.add("systemd-user-restart exited " + result.run().exitCode());
    }
    for (Trial.UnitChange c : result.changes()) {
      boolean marked = c.unit().equals(Trial.DEMO_MARKED);
      if (marked != c.restarted()) {
        failures.add(c.user().name() + ": " + c.unit() + (marked ? " was not restarted" : " was restarted"));
      }
    }
    return failures;
  }

  private List<String> expectations(Trial.Result result) {
    List<String> failures = new ArrayList<>();
    for (Trial.UnitChange c : result.changes()) {
      if (expectRestart.contains(c.unit())) {
        if (!c.restarted()) {
          failures.add(c.user().name() + ": " + c.unit() + " was not restarted");
        } else if (c.newPid().equals("0")) {
          failures.add(c.user().name() + ": " + c.unit() + " was restarted but is not running");
        } else if (!c.oldFilesInUse().isEmpty()) {
          failures.add(c.user().name() + ": " + c.unit() + " still uses " + String.join(", ", c.oldFilesInUse()));
        }
      }
      if (expectKept.contains(c.unit()) && (c.restarted() || c.newPid().equals("0"))) {
        failures.add(c.user().name() + ": " + c.unit() + (c.restarted() ? " was restarted" : " is not running"));
      }
    }
    for (String unit : union(expectRestart, expectKept)) {
      if (result.changes().stream().noneMatch(c -> c.unit().equals(unit))) {
        failures.add(unit + " was not watched: start it with --unit " + unit);
      }
    }
    return failures;
  }

  private static Set<String> union(List<String> a, List<String> b) {
    Set<String> all = new LinkedHashSet<>(a);
    all.addAll(b);
    return all;
  }

  private void report(Trial.Result result, List<String> failures, boolean packages) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Object> rows = new ArrayList<>();
      for (Trial.UnitChange c : result.changes()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("uid", c.user().uid());
        row.put("user", c.user().name());
        row.put("unit", c.unit());
        row.put("oldMainPid", c.oldPid());
        row.put("newMainPid", c.newPid());
        row.put("restarted", c.restarted());
        row.put("usesReplacedFiles", c.oldFilesInUse());
        rows.add(row);
      }
      Map<String, Object> all = new LinkedHashMap<>();
      all.put("mode", packages ? "upgrade" : "demo");
      all.put("ok", failures.isEmpty());
      all.put("units", rows);
      all.put("failures", failures);
      all.put("output", result.run().stdout() + result.run().stderr());
      out.println(Json.write(all));
    } else {
      out.println(packages ? "rpm -U printed:" : "systemd-user-restart --all-users printed:");
      (result.run().stdout() + result.run().stderr()).lines().forEach(l -> out.println("  " + l));
      out.println();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"USER", "UNIT", "OLD PID", "NEW PID", "RESTARTED", "REPLACED FILES IN USE"});
      for (Trial.UnitChange c : result.changes()) {
        rows.add(
            new String[] {
              c.user().name(),
              c.unit(),
              c.oldPid(),
              c.newPid(),
              c.restarted() ? "yes" : "no",
              c.oldFilesInUse().isEmpty() ? "-" : String.join(" ", c.oldFilesInUse())
            });
      }
      Table.print(out, rows, 2, 3);
      out.println();
      if (failures.isEmpty()) {
        out.println(packages ? "All expectations met." : "Demo: the marked unit was restarted for every user, the other kept running.");
      } else {
        failures.forEach(f -> out.println("FAILED: " + f));
      }
    }
    out.flush();
  }

  private static void keepRunning(Sandbox sandbox, PrintWriter err) throws InterruptedException {
    err.println("sandbox: kept running. Enter it with:");
    err.println("  " + sandbox.enterCommand());
    err.println("sandbox: stop it with Ctrl-C, or: kill " + ProcessHandle.current().pid());
    err.flush();
    // The shutdown hook of the sandbox tears it down when this process is told to stop.
    new CountDownLatch(1).await();
  }
}
