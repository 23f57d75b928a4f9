// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import static net.userrestart.stale.FakeProc.unitCgroup;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcStaleUnitsTest {
  static final String FOO = "/usr/bin/foo";
  static final String STALE = "r-xp /usr/lib64/libfoo.so.1 (deleted)";

  @TempDir Path dir;
  FakeProc proc;
  ProcStaleUnits units;

  @BeforeEach
  void setUp() {
    proc = new FakeProc(dir);
    units = new ProcStaleUnits(new ProcScanner(dir, Limits.DEFAULT));
    // The managers run replaced code too: that is for the re-exec, not a unit to restart.
    proc.process(100, unitCgroup(1000, "init.scope"), 1, 10, FOO).maps(STALE);
    proc.process(101, unitCgroup(1001, "init.scope"), 1, 11, FOO).maps(STALE);
  }

  @Test
  void theUserUnitsOfTheUsersAskedFor() throws IOException {
    proc.process(200, unitCgroup(1000, "app.slice/b.service"), 100, 20, FOO).maps(STALE);
    proc.process(201, unitCgroup(1000, "app.slice/a.service"), 100, 21, FOO).maps(STALE);
    proc.process(202, unitCgroup(1000, "app.slice/c.service"), 100, 22, FOO).plain(FOO);
    proc.process(203, unitCgroup(1001, "app.slice/a.service"), 101, 23, FOO).maps(STALE);
    proc.process(204, unitCgroup(1002, "app.slice/a.service"), 1, 24, FOO).maps(STALE);
    // An application the user started runs in a scope: listed by stale, but no restart can help.
    proc.process(205, unitCgroup(1000, "app.slice/app-editor-42.scope"), 1, 25, FOO).maps(STALE);

    assertEquals(
        Map.of(1000, Set.of("a.service", "b.service"), 1001, Set.of("a.service")),
        units.find(Set.of(1000, 1001)));
    assertEquals(Map.of(1001, Set.of("a.service")), units.find(Set.of(1001)));
  }

  @Test
  void theSummaryCountsUserServicesAndTheirUsers() throws IOException {
    assertEquals(Optional.empty(), units.summary(Set.of(1000, 1001)), "the managers alone: nothing");
    proc.process(200, unitCgroup(1000, "app.slice/a.service"), 100, 20, FOO).maps(STALE);
    assertEquals(
        Optional.of("1 user service of 1 user still runs replaced files; see `systemd-user-restart stale`"),
        units.summary(Set.of(1000, 1001)));
    proc.process(201, unitCgroup(1000, "app.slice/b.service"), 100, 21, FOO).maps(STALE);
    proc.process(202, unitCgroup(1001, "app.slice/a.service"), 101, 22, FOO).maps(STALE);
    proc.process(203, unitCgroup(1001, "app.slice/app-editor-42.scope"), 1, 23, FOO).maps(STALE);
    assertEquals(
        Optional.of("4 user services of 2 users still run replaced files; see `systemd-user-restart stale`"),
        units.summary(Set.of(1000, 1001)));
  }
}
