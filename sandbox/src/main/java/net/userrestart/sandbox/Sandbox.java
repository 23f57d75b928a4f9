// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The machine's own systemd (or an OS tree's) booted as PID 1 of fresh namespaces on an overlay of
 * the host's root (or of the tree), with lingering test users whose user managers run from boot on.
 *
 * <p>Nothing of it is visible on the host but two cgroup directories, {@code sur-sandbox-ID} and
 * {@code sur-sandbox-ID-exec}, which {@link #close()} removes. Every process of the sandbox dies
 * with it, also when this JVM is killed: the init process gets SIGKILL when the JVM thread that
 * started it ends.
 */
public final class Sandbox implements AutoCloseable {
  /** PATH of every command run inside, and where host tools are looked up. */
  static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  static final String SYSTEMD = "/lib/systemd/systemd";
  private static final Duration FILE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  /** A sandbox joins its new cgroup within milliseconds; younger empty ones may be booting. */
  private static final Duration STALE_AGE = Duration.ofSeconds(30);

  private final SandboxSpec spec;
  private final Consumer<String> progress;
  private final HostCgroup cgroup;

  /** Parent of one cgroup per exec(), beside the sandbox's: inside belongs to its systemd. */
  private final HostCgroup execCgroups;

  private final AtomicLong execCount = new AtomicLong();
  private final List<SandboxUser> users;
  private final Thread shutdownHook;
  private final String bootScript;

  // Set while booting, read by the shutdown hook's thread too.
  private volatile Process unshare;
  private volatile OutputTail console;
  private volatile ProcessHandle init;
  private volatile String mountNamespace;
  private volatile String pidNamespace;
  private boolean closed;

  private Sandbox(
      SandboxSpec spec,
      Consumer<String> progress,
      HostCgroup cgroup,
      HostCgroup execCgroups,
      String bootScript) {
    this.spec = spec;
    this.progress = progress;
    this.cgroup = cgroup;
    this.execCgroups = execCgroups;
    this.users = spec.sandboxUsers();
    this.bootScript = bootScript;
    this.shutdownHook =
        new Thread(this::closeOnShutdown, "sandbox-teardown-" + cgroup.path().getFileName());
  }

  /**
   * Boots a sandbox and returns once systemd is up, every test user's manager is active with its
   * private socket and the enabled user units are active. Tears everything down and throws if that
   * does not happen within the spec's boot timeout.
   *
   * @param progress receives lines for a human, such as how many user managers are up
   */
  public static Sandbox boot(SandboxSpec spec, Consumer<String> progress) throws SandboxException {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(progress, "progress");
    HostProcesses.requireSandboxTools(spec.root());
    String bootScript = resource("boot.sh");
    String probeScript = resource("probe.sh");
    Path root = HostCgroup.unifiedMount();
    HostCgroup.removeStale(root, STALE_AGE, progress);
    String name =
        HostCgroup.PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    HostCgroup cgroup = HostCgroup.create(root, name);
    HostCgroup execCgroups;
    try {
      execCgroups = HostCgroup.create(root, name + HostCgroup.EXEC_SUFFIX);
    } catch (SandboxException e) {
      removeQuietly(cgroup);
      throw e;
    }
    Sandbox sandbox = new Sandbox(spec, progress, cgroup, execCgroups, bootScript);
    try {
      Runtime.getRuntime().addShutdownHook(sandbox.shutdownHook);
      long start = System.nanoTime();
      BootDeadline deadline = new BootDeadline(start + spec.bootTimeout().toNanos());
      sandbox.start(deadline);
      new BootWatch(sandbox, probeScript, () -> sandbox.checkInitAlive("during boot"), progress)
          .awaitReady(deadline);
      progress.accept(
          String.format(
              "sandbox: up in %d ms with %d users, init pid %d; enter with: %s",
              (System.nanoTime() - start) / 1_000_000,
              spec.users(),
              sandbox.initPid(),
              sandbox.enterCommand()));
      return sandbox;
    } catch (RuntimeException | Error e) {
      try {
        sandbox.close();
      } catch (RuntimeException c) {
        e.addSuppressed(c);
      }
      throw e;
    }
  }

  /** Whether this process may boot a sandbox: it runs as root. */
  public static boolean runsAsRoot() {
    return HostProcesses.effectiveUid() == 0;
  }

  public SandboxSpec spec() {
    return spec;
  }

  /** The test users, sur-user1 with UID 4001 first. */
  public List<SandboxUser> users() {
    return users;
  }

  /** Host PID of the sandbox's systemd, PID 1 inside. */
  public long initPid() {
    return init.pid();
  }

  /** The cgroup on the host that is the root of the sandbox's cgroup namespace. */
  public Path hostCgroup() {
    return cgroup.path();
  }

  /**
   * A path inside the sandbox as the host sees it, through the init's root. A client connecting to
   * a user manager's private socket this way must also be in the sandbox's PID namespace: systemd
   * refuses peers whose PID it cannot see.
   */
  public Path hostPath(String pathInside) {
    requireAbsolute(pathInside);
    return Path.of("/proc/" + initPid() + "/root" + pathInside);
  }

  /**
   * Runs {@code argv} as root inside all namespaces and the sandbox's root, cwd /, env PATH only,
   * without the capabilities of {@link Confinement}, like everything systemd starts inside.
   */
  public ExecResult exec(Duration timeout, String... argv) {
    return exec(timeout, null, argv);
  }

  /** Like {@link #exec(Duration, String...)}, feeding {@code stdin} to the command. */
  public ExecResult exec(Duration timeout, byte[] stdin, String... argv) {
    return run(Map.of("PATH", PATH, "HOME", "/root"), stdin, timeout, argv);
  }

  /**
   * Runs {@code argv} as user {@code u} (with its groups) with XDG_RUNTIME_DIR set, so that {@code
   * systemctl --user} reaches the user's manager over its private socket.
   */
  public ExecResult execAsUser(SandboxUser u, Duration timeout, String... argv) {
    List<String> cmd = new ArrayList<>();
    cmd.add("setpriv");
    cmd.add("--reuid=" + u.uid());
    cmd.add("--regid=" + u.uid());
    cmd.add("--init-groups");
    cmd.add("--");
    cmd.addAll(List.of(argv));
    Map<String, String> env =
        Map.of(
            "PATH", PATH,
            "HOME", "/home/" + u.name(),
            "USER", u.name(),
            "LOGNAME", u.name(),
            "XDG_RUNTIME_DIR", u.runtimeDir());
    return run(env, null, timeout, cmd.toArray(String[]::new));
  }

  /** Writes {@code content} to {@code pathInside}, creating parent directories. */
  public void writeFile(String pathInside, String content) {
    requireAbsolute(pathInside);
    exec(
            FILE_TIMEOUT,
            content.getBytes(StandardCharsets.UTF_8),
            "/bin/sh",
            "-c",
            "mkdir -p -- \"$(dirname -- \"$1\")\" && cat >\"$1\"",
            "sh",
            pathInside)
        .orThrow("writing " + pathInside);
  }

  /** {@code systemctl --user show -p PROPERTY --value UNIT} in the manager of {@code u}. */
  public String userUnitProperty(SandboxUser u, String unit, String property) {
    ExecResult r =
        execAsUser(
                u,
                STEP_TIMEOUT,
                "systemctl",
                "--user",
                "show",
                "-p",
                property,
                "--value",
                "--",
                unit)
            .orThrow("reading " + property + " of " + unit + " for " + u.name());
    return r.stdout().strip();
  }

  /** A command line that gives a human a root shell inside. */
  public String enterCommand() {
    return "nsenter --target "
        + initPid()
        + " --all --root --wd -- /usr/bin/env -i PATH="
        + PATH
        + " HOME=/root TERM=\"$TERM\" /bin/bash -l";
  }

  /**
   * Kills every process of the sandbox, waits for them to be gone and removes its cgroup, then
   * checks that no process is left in its namespaces. Idempotent; throws if anything was left.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // A test's timeout interrupts its thread, and try-with-resources closes on that thread: the
    // waits of the teardown must not end at once, or cgroups are left behind.
    boolean interrupted = Thread.interrupted();
    List<String> left;
    try {
      left = new Teardown(cgroup, execCgroups, unshare, init, mountNamespace, pidNamespace).run();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // The JVM is shutting down: the hook finds the sandbox closed.
      }
    }
    if (!left.isEmpty()) {
      String msg = "sandbox teardown incomplete: " + String.join("; ", left);
      progress.accept(msg);
      throw new SandboxException(msg);
    }
    progress.accept("sandbox: torn down " + cgroup.path().getFileName());
  }

  private void closeOnShutdown() {
    try {
      close();
    } catch (RuntimeException e) {
      // Reported through progress already; nothing else can be done at shutdown.
    }
  }

  /** Starts the init process and waits until it has become systemd. */
  private void start(BootDeadline deadline) {
    List<String> cmd = new ArrayList<>();
    // Join the sandbox cgroup first: unshare --cgroup makes the cgroup it runs in the ns root.
    cmd.addAll(List.of("/bin/sh", "-c", "echo $$ >\"$0/cgroup.procs\" && exec \"$@\""));
    cmd.add(cgroup.path().toString());
    // pdeathsig: if the JVM dies, unshare dies, and --kill-child takes init and the ns with it.
    cmd.addAll(List.of("setpriv", "--pdeathsig", "KILL", "--"));
    cmd.addAll(
        List.of(
            "unshare",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--cgroup",
            "--propagation",
            "private",
            "--"));
    cmd.addAll(List.of("/bin/sh", "-c", bootScript, "sur-sandbox-boot"));
    cmd.add(Confinement.boundingSetArgument());
    cmd.add(spec.root().toString());
    cmd.add(Integer.toString(spec.users()));
    cmd.add(Integer.toString(SandboxSpec.FIRST_UID));
    cmd.add(Integer.toString(spec.bindReadOnly().size()));
    spec.bindReadOnly().forEach(p -> cmd.add(p.toString()));
    cmd.add(Integer.toString(spec.userUnits().size()));
    spec.userUnits()
        .forEach(
            (n, c) -> {
              cmd.add(n);
              cmd.add(c);
            });
    progress.accept("sandbox: booting " + spec.root().resolve(SYSTEMD.substring(1)) + " in cgroup " + cgroup.path());
    unshare = InitKeeper.start(cmd, Map.of("PATH", PATH), cgroup.path().getFileName().toString());
    console = new OutputTail(unshare.getInputStream(), "sandbox-console-" + unshare.pid());

    init = awaitChild(deadline);
    HostCgroup.moveToOwnCgroup(cgroup.path().getParent(), unshare.pid());
    while (!HostProcesses.comm(init.pid()).equals("systemd")) {
      checkInitAlive("before systemd started");
      deadline.check("the boot script did not exec systemd");
      HostCgroup.sleep(10);
    }
    mountNamespace = HostProcesses.namespace(init.pid(), "mnt");
    pidNamespace = HostProcesses.namespace(init.pid(), "pid");
    progress.accept("sandbox: systemd is PID 1 inside, host pid " + init.pid());
  }

  private ProcessHandle awaitChild(BootDeadline deadline) {
    while (true) {
      var child = unshare.children().findFirst();
      if (child.isPresent()) {
        return child.get();
      }
      checkInitAlive("before forking init");
      deadline.check("unshare did not fork the init process");
      HostCgroup.sleep(5);
    }
  }

  private void checkInitAlive(String when) {
    if (!unshare.isAlive()) {
      console.awaitEnd(1000);
      String reason = console.lastLine();
      throw new SandboxException(
          String.format(
              "sandbox init exited with code %d %s%s",
              unshare.exitValue(), when, reason.isEmpty() ? "" : ": " + reason));
    }
  }

  private ExecResult run(Map<String, String> env, byte[] stdin, Duration timeout, String... argv) {
    if (argv.length == 0) {
      throw new IllegalArgumentException("no command");
    }
    ProcessHandle target;
    synchronized (this) {
      if (closed) {
        throw new SandboxException("the sandbox is closed");
      }
      target = init;
    }
    // Bounded like systemd inside: nsenter itself needs none of what is dropped.
    List<String> cmd = new ArrayList<>(Confinement.boundedCommand());
    // --root and --wd without a value: those of init, i.e. the overlay root and /.
    cmd.addAll(
        List.of(
            "nsenter", "--target", Long.toString(target.pid()), "--all", "--root", "--wd", "--"));
    cmd.addAll(List.of(argv));
    HostCgroup jail =
        HostCgroup.create(execCgroups.path(), Long.toString(execCount.incrementAndGet()));
    return CommandRunner.run(cmd, env, stdin, timeout, jail);
  }

  private static void removeQuietly(HostCgroup c) {
    try {
      c.remove(Duration.ZERO);
    } catch (IOException e) {
      // A later boot removes it as stale.
    }
  }

  private static void requireAbsolute(String pathInside) {
    if (!pathInside.startsWith("/")) {
      throw new IllegalArgumentException("not an absolute path: " + pathInside);
    }
  }

  private static String resource(String name) {
    try (InputStream in = Sandbox.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new SandboxException("resource " + name + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SandboxException("cannot read resource " + name, e);
    }
  }
}
