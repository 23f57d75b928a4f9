// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import net.userrestart.log.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TriggerConfigTest {
  @TempDir Path dir;
  final StringWriter err = new StringWriter();
  final Log log = new Log(new PrintWriter(err), Log.Level.WARNING, false, "");

  TriggerConfig parse(String text) {
    return TriggerConfig.parse(Path.of("/etc/x.conf"), text, log);
  }

  List<String> warnings() {
    return err.toString().lines().toList();
  }

  @Test
  void offUnlessSaidYes() {
    assertEquals(false, parse("").restartStale());
    assertEquals(false, parse("# RestartStale=yes\n").restartStale());
    assertEquals(true, parse("; a comment\n\n  RestartStale = yes  \n").restartStale());
    assertEquals(false, parse("RestartStale=yes\nRestartStale=no\n").restartStale());
    assertEquals(true, parse("RestartStale=yes").restartStale(), "no newline at the end");
    assertEquals(List.of(), warnings());
  }

  @Test
  void aBadValueIsNamedWithItsFileAndLineAndTakenAsNo() {
    assertEquals(false, parse("RestartStale=yes\nRestartStale=Yes please\n").restartStale());
    assertEquals(
        List.of("/etc/x.conf:2: RestartStale=Yes please is not yes or no; taken as no"), warnings());
  }

  @Test
  void otherLinesAreNamedAndChangeNothing() {
    assertEquals(true, parse("[Restart]\nRestartStale=yes\nRestartAll=yes\nrestartstale=no\n").restartStale());
    assertEquals(
        List.of(
            "/etc/x.conf:1: ignoring [Restart]: expected RestartStale=yes or RestartStale=no",
            "/etc/x.conf:3: ignoring RestartAll=yes: expected RestartStale=yes or RestartStale=no",
            "/etc/x.conf:4: ignoring restartstale=no: expected RestartStale=yes or RestartStale=no"),
        warnings());
  }

  @Test
  void controlCharactersAreNotPrinted() {
    parse("RestartStale=\u001b[31mno\n");
    assertEquals(1, warnings().size(), err::toString);
    assertEquals(-1, err.toString().indexOf('\u001b'), err::toString);
  }

  @Test
  void aMissingFileIsTheDefaultSilently() {
    assertEquals(TriggerConfig.DEFAULT, TriggerConfig.read(dir.resolve("none.conf"), log));
    assertEquals(List.of(), warnings());
  }

  @Test
  void aFileOthersMayWriteIsIgnored() throws IOException {
    Path file = Files.writeString(dir.resolve("x.conf"), "RestartStale=yes\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertEquals(true, TriggerConfig.read(file, log).restartStale());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertEquals(false, TriggerConfig.read(file, log).restartStale());
    assertEquals(List.of(file + ": ignored: not owned by root, or writable by others than its owner"), warnings());
  }
}
