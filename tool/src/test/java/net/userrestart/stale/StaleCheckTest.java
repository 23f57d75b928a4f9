// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import static net.userrestart.stale.FakeProc.unitCgroup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarksByUser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaleCheckTest {
  static final String SYSTEMD = "/usr/lib/systemd/systemd";
  static final String FOO = "/usr/bin/foo";
  static final String LIB = "/usr/lib64/libbar.so.2";

  @TempDir Path dir;
  FakeProc proc;
  final List<Collection<String>> queries = new ArrayList<>();
  final PackageOwners rpm =
      paths -> {
        queries.add(List.copyOf(paths));
        return Optional.of(Map.of(FOO, List.of("foo-2-1.x86_64"), SYSTEMD, List.of("systemd-256-1.x86_64")));
      };
  final List<StaleCheck.Manager> managers =
      List.of(new StaleCheck.Manager(1000, "dev", 100), new StaleCheck.Manager(1001, "ops", 101));

  @BeforeEach
  void setUp() {
    proc = new FakeProc(dir);
    proc.process(100, unitCgroup(1000, "init.scope"), 1, 10, SYSTEMD + " (deleted)");
    proc.process(101, unitCgroup(1001, "init.scope"), 1, 11, SYSTEMD).plain(SYSTEMD);
    proc.process(200, unitCgroup(1000, "app.slice/foo.service"), 100, 20, FOO + " (deleted)")
        .maps("r-xp " + FOO + " (deleted)", "r-xp " + LIB + " (deleted)");
    proc.process(201, unitCgroup(1001, "app.slice/foo.service"), 101, 21, FOO + " (deleted)");
    proc.process(202, unitCgroup(1001, "app.slice/web@8080.service"), 101, 22, FOO).maps("r-xp " + LIB + " (deleted)");
    proc.process(203, unitCgroup(1001, "app.slice/other.service"), 101, 23, FOO).plain(FOO);
  }

  StaleResult check(PackageOwners owners, Optional<MarksByUser> marks) throws IOException {
    return new StaleCheck(new ProcScanner(dir, Limits.DEFAULT), owners).check(managers, marks);
  }

  @Test
  void unitsWithTheirPackagesAndMarksFromOneQuery() throws IOException {
    MarksByUser marks =
        uid -> uid == 1001
            ? Set.of(new Mark(Mark.Kind.RELOAD, "foo.service"), new Mark(Mark.Kind.RESTART, "web@.service"))
            : Set.of(new Mark(Mark.Kind.RELOAD, "other.service"));
    StaleResult r = check(rpm, Optional.of(marks));

    assertEquals(1, queries.size(), "one query for the run");
    assertEquals(Set.of(SYSTEMD, FOO, LIB), Set.copyOf(queries.get(0)));
    assertEquals(
        List.of(
            "dev user@1000.service reexec 100 [] " + SYSTEMD + "=[systemd-256-1.x86_64]",
            "dev foo.service restart 200 [] " + FOO + "=[foo-2-1.x86_64] " + LIB + "=[]",
            "ops foo.service restart 201 [RELOAD] " + FOO + "=[foo-2-1.x86_64]",
            "ops web@8080.service restart 202 [RESTART] " + LIB + "=[]"),
        r.units().stream()
            .map(u -> u.user() + " " + u.unit() + " " + u.remedy().word() + " " + u.mainPid() + " "
                + u.marked().stream().toList() + " "
                + String.join(" ", u.files().stream().map(f -> f.path() + "=" + f.owners()).sorted().toList()))
            .toList());
    assertEquals(3, r.staleUnits());
    assertEquals(2, r.staleUsers());
    assertEquals(1, r.managersToReexec());
    assertEquals(2, r.managers());
    assertTrue(r.packagesKnown() && r.marksKnown());
  }

  @Test
  void withoutRpmOrMarkStoreTheUnitsAreStillListed() throws IOException {
    StaleResult r = check(PackageOwners.none(), Optional.empty());
    assertEquals(4, r.units().size());
    assertFalse(r.packagesKnown());
    assertFalse(r.marksKnown());
    r.units().forEach(u -> assertEquals(Optional.empty(), u.marked()));
  }

  @Test
  void noStaleUnitNoQuery() throws IOException {
    for (long pid : List.of(100L, 200L, 201L, 202L)) {
      new FakeProc.Process(dir.resolve(Long.toString(pid))).exit();
    }
    StaleResult r = check(rpm, Optional.empty());
    assertEquals(List.of(), r.units());
    assertEquals(0, queries.size());
  }

  @Test
  void aRestartMarkWinsOverAReloadOne() {
    Set<Mark> marks =
        Set.of(new Mark(Mark.Kind.RELOAD, "a@x.service"), new Mark(Mark.Kind.RESTART, "a@.service"));
    assertEquals(Optional.of(Mark.Kind.RESTART), StaleCheck.markOf(marks, "a@x.service"));
    assertEquals(Optional.empty(), StaleCheck.markOf(marks, "a.service"));
    assertEquals(Optional.empty(), StaleCheck.markOf(marks, "b@x.service"));
  }
}
