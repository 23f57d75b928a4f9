// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The sandbox's own entry point, up to where it would need root: nothing here boots. */
class SandboxMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return SandboxMain.run(Map.of(), new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void helpNamesTheCommandAsTypedWithItsExitCodes() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("Usage: systemd-user-restart sandbox [-hV]"), out::toString);
    assertTrue(out.toString().contains("7   The sandbox could not boot"), out::toString);
    assertEquals(0, run("--version"));
    assertTrue(out.toString().contains("systemd-user-restart "), out::toString);
  }

  @Test
  void badCommandLinesExitTwoWithWhereToLook() {
    List<List<String>> bad =
        List.of(
            List.of("--install", "/nonexistent-1.rpm"),
            List.of("--users", "0"),
            List.of("--users", "1001"),
            List.of("--unit", "not a unit"),
            List.of("--expect-kept", "x\u001b[31m.service"),
            List.of("--install", "/nonexistent-1.rpm", "--upgrade", "/nonexistent-2.rpm"),
            List.of("--no-such-option"));
    for (List<String> args : bad) {
      int mark = err.getBuffer().length();
      assertEquals(2, run(args.toArray(String[]::new)), args + ": " + err);
      String said = err.toString().substring(mark);
      assertTrue(said.startsWith("systemd-user-restart: "), said);
      assertTrue(said.contains("Try 'systemd-user-restart sandbox --help'"), said);
      assertTrue(said.chars().noneMatch(c -> c == 0x1b), "a control character was printed: " + said);
    }
    assertEquals("", out.toString());
  }

  @Test
  void aRootThatIsNoOsTreeExitsFourWithWhy() {
    for (String root : List.of("relative/tree", "/nonexistent-tree", "/etc", "/tmp/a,b")) {
      int mark = err.getBuffer().length();
      assertEquals(4, run("--root", root), root + ": " + err);
      String said = err.toString().substring(mark);
      assertTrue(said.startsWith("systemd-user-restart: --root "), said);
      assertEquals(1, said.lines().count(), said);
    }
    assertEquals("", out.toString());
  }

  @Test
  void helpTellsOfTheRootOption() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("--root=DIR"), out::toString);
    assertTrue(out.toString().contains("4   --root is not an OS tree"), out::toString);
  }
}
