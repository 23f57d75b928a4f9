// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UserManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rule of --reexec=needed on a fake /proc and a fake file tree. A file's ctime cannot be set,
 * so the tree is made first, the manager "loads" a while later, and what a test changes it
 * changes after that.
 */
class NeedCheckTest {
  static final int UID = 1000;
  static final long PID = 4242;
  static final String HOME = "/home/dev";
  static final String LIB = "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-257.so";
  static final List<String> UNIT_PATH =
      List.of(
          HOME + "/.config/systemd/user.control",
          "/run/user/1000/systemd/user.control",
          "/run/user/1000/systemd/transient",
          "/run/user/1000/systemd/generator.early",
          HOME + "/.config/systemd/user",
          "/etc/systemd/user",
          "/run/user/1000/systemd/user",
          "/run/systemd/user",
          "/run/user/1000/systemd/generator",
          "/usr/lib/systemd/user",
          "/run/user/1000/systemd/generator.late");

  @TempDir Path tmp;
  Path proc;
  Path root;
  FakeManager manager = new FakeManager();

  @BeforeEach
  void tree() throws Exception {
    proc = tmp.resolve("proc");
    root = tmp.resolve("root");
    Path pid = Files.createDirectories(proc.resolve(Long.toString(PID)));
    Files.createSymbolicLink(pid.resolve("exe"), Path.of("/usr/lib/systemd/systemd"));
    maps("");
    file("/usr/lib/systemd/user/app.service", "[Service]\nExecStart=/usr/bin/app\n");
    file("/usr/lib/systemd/user/other.service", "[Service]\nExecStart=/usr/bin/other\n");
    file("/usr/lib/systemd/user/default.target.wants/app.service", "");
    file("/usr/lib/systemd/user-generators/gen", "#!/bin/sh\n");
    file("/etc/systemd/user.conf", "[Manager]\n");
    file(HOME + "/.config/systemd/user/.keep", "");
    file("/run/user/1000/systemd/generator/made.service", "");
    Thread.sleep(NeedCheck.MARGIN_MILLIS + 60);
    manager.loadedMicros = System.currentTimeMillis() * 1000;
  }

  ManagerNeed decide() {
    return new NeedCheck(proc, root, Map.of(UID, PID)).decide(UID, manager);
  }

  @Test
  void nothingChangedNothingNeeded() {
    assertEquals(ManagerNeed.NONE_NEEDED, decide());
  }

  @Test
  void replacedLibraryMappedByTheManagerReexecutes() throws Exception {
    maps(
        "7f0000000000-7f0000001000 r-xp 00000000 fd:01 1234                       /usr/lib/systemd/systemd\n"
            + "7f0000001000-7f0000002000 r--p 00000000 fd:01 1235                       "
            + LIB
            + " (deleted)\n"
            + "7f0000002000-7f0000003000 r-xp 00001000 fd:01 1235                       "
            + LIB
            + " (deleted)\n");
    assertEquals(ManagerNeed.reexec("manager maps replaced " + LIB), decide());
  }

  @Test
  void replacedExecutableReexecutes() throws Exception {
    Path exe = proc.resolve(PID + "/exe");
    Files.delete(exe);
    Files.createSymbolicLink(exe, Path.of("/usr/lib/systemd/systemd (deleted)"));
    assertEquals(ManagerNeed.reexec("manager maps replaced /usr/lib/systemd/systemd"), decide());
  }

  @Test
  void aManagerWhoseCodeCannotBeReadIsReexecuted() {
    ManagerNeed need = new NeedCheck(proc, root, Map.of()).decide(UID, manager);
    assertEquals(ManagerAction.REEXECUTE, need.action());
    assertTrue(need.reason().startsWith("cannot read what the manager runs"), need.reason());
  }

  @Test
  void aLoadedUnitChangedOnDiskReloads() throws Exception {
    manager.loaded.add("app.service");
    touch("/usr/lib/systemd/user/app.service");
    assertEquals(ManagerNeed.reload("1 loaded unit changed on disk: app.service"), decide());
    assertEquals(List.of(List.of("app.service")), manager.asked);
  }

  @Test
  void aChangedUnitThatIsNotLoadedNeedsNothing() throws Exception {
    touch("/usr/lib/systemd/user/other.service");
    assertEquals(ManagerNeed.NONE_NEEDED, decide());
    assertEquals(List.of(List.of("other.service")), manager.asked);
  }

  @Test
  void aNewDropInInTheHomeOfALoadedUnitReloads() throws Exception {
    manager.loaded.add("app.service");
    file(HOME + "/.config/systemd/user/app.service.d/override.conf", "[Service]\nNice=5\n");
    assertEquals(ManagerNeed.reload("1 loaded unit changed on disk: app.service"), decide());
  }

  @Test
  void aChangedGeneratorReloads() throws Exception {
    touch("/usr/lib/systemd/user-generators/gen");
    assertEquals(ManagerNeed.reload("changed on disk: /usr/lib/systemd/user-generators"), decide());
  }

  @Test
  void userConfAndEnvironmentInTheHomeReload() throws Exception {
    file(HOME + "/.config/environment.d/10-path.conf", "PATH=/opt/bin:$PATH\n");
    assertEquals(ManagerNeed.reload("changed on disk: " + HOME + "/.config/environment.d"), decide());
    touch("/etc/systemd/user.conf");
    assertEquals(ManagerAction.RELOAD, decide().action());
  }

  @Test
  void aWantsLinkReloads() throws Exception {
    file("/usr/lib/systemd/user/default.target.wants/other.service", "");
    assertEquals(
        ManagerNeed.reload("changed on disk: /usr/lib/systemd/user/default.target.wants"),
        decide());
  }

  @Test
  void aRemovedUnitFileCannotBeNamedSoItReloads() throws Exception {
    Files.delete(at("/usr/lib/systemd/user/other.service"));
    assertEquals(ManagerNeed.reload("changed on disk: /usr/lib/systemd/user"), decide());
  }

  @Test
  void whatTheManagerWritesItselfIsNotAChange() throws Exception {
    file("/run/user/1000/systemd/generator/made.service", "new");
    file("/run/user/1000/systemd/transient/run-x.service", "");
    assertEquals(ManagerNeed.NONE_NEEDED, decide());
  }

  @Test
  void aChangeJustBeforeTheLoadCounts() throws Exception {
    manager.loaded.add("app.service");
    touch("/usr/lib/systemd/user/app.service");
    manager.loadedMicros = (System.currentTimeMillis() + NeedCheck.MARGIN_MILLIS / 2) * 1000;
    assertEquals(ManagerAction.RELOAD, decide().action());
  }

  @Test
  void aManagerThatCannotSayWhenItLoadedIsReloaded() {
    manager.loadError = new SystemdException(SystemdException.Kind.FAILED, "decide", "protocol error: UnitPath is 7");
    assertEquals(
        ManagerNeed.reload(
            "cannot tell when the manager loaded its units: protocol error: UnitPath is 7"),
        decide());
  }

  @Test
  void aManagerThatCannotSayWhatIsLoadedIsReloaded() throws Exception {
    manager.loadedError = new SystemdException(SystemdException.Kind.TIMEOUT, "decide", "no reply");
    touch("/usr/lib/systemd/user/other.service");
    assertEquals(ManagerAction.RELOAD, decide().action());
  }

  @Test
  void aDirectoryWithMoreThanTheBudgetCountsAsChanged() throws Exception {
    Path dir = Files.createDirectories(at(HOME + "/.config/systemd/user/many.service.d"));
    for (int i = 0; i < ConfigFiles.MAX_ENTRIES; i++) {
      Files.createFile(dir.resolve(i + ".conf"));
    }
    manager.loadedMicros = (System.currentTimeMillis() + 10_000) * 1000; // nothing is newer
    assertEquals(ManagerNeed.reload("changed on disk: " + HOME + "/.config/systemd/user"), decide());
  }

  @Test
  void homesAreTheDirectoriesWithAControlDirectoryBeside() {
    assertEquals(List.of(HOME + "/.config", "/run/user/1000"), NeedCheck.homes(UNIT_PATH));
  }

  private void maps(String text) throws IOException {
    Files.writeString(proc.resolve(PID + "/maps"), text);
  }

  private Path at(String path) {
    return root.resolve(path.substring(1));
  }

  private void file(String path, String text) throws IOException {
    Path p = at(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  /* As rpm replaces a file: a new one renamed over the old. */
  private void touch(String path) throws IOException {
    Path p = at(path);
    Path tmp = p.resolveSibling(p.getFileName() + ";rpmtmp");
    Files.writeString(tmp, Files.readString(p) + "# new\n");
    Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** A manager that answers what the check asks. */
  static final class FakeManager implements UserManager {
    long loadedMicros;
    final Set<String> loaded = new TreeSet<>();
    final List<List<String>> asked = new ArrayList<>();
    SystemdException loadError;
    SystemdException loadedError;

    @Override
    public LoadState loadState() throws SystemdException {
      if (loadError != null) {
        throw loadError;
      }
      return new LoadState(loadedMicros, UNIT_PATH);
    }

    @Override
    public Set<String> loaded(Collection<String> units) throws SystemdException {
      asked.add(List.copyOf(units));
      if (loadedError != null) {
        throw loadedError;
      }
      Set<String> found = new TreeSet<>(units);
      found.retainAll(loaded);
      return found;
    }

    @Override
    public String version() {
      return "257";
    }

    @Override
    public void reexecute() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void reload() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Map<String, String> activeStates(Collection<String> units) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Batch enqueue(List<JobRequest> requests, boolean marked) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Map<String, JobResult> awaitJobs(Collection<String> jobs) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
