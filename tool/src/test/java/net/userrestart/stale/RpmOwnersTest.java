// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RpmOwnersTest {
  @TempDir Path dir;

  @Test
  void eachAskedPathGetsItsOwnersFromTheFileLists() {
    String output =
        "/usr/bin/foo\tfoo-2-1.x86_64\n"
            + "/usr/share/doc/foo\tfoo-2-1.x86_64\n"
            + "/usr/lib64/libz.so.1\tzlib-1.3-1.x86_64\n"
            + "/usr/lib64/libz.so.1\tzlib-compat-1.3-1.x86_64\n"
            + "/usr/lib64/libz.so.1\tzlib-1.3-1.x86_64\n" // asked twice: the list comes twice
            + "garbage\n\n\tx\n";
    Map<String, List<String>> owners =
        RpmOwners.parse(output, Set.of("/usr/bin/foo", "/usr/lib64/libz.so.1", "/usr/bin/none"));
    assertEquals(
        Map.of(
            "/usr/bin/foo", List.of("foo-2-1.x86_64"),
            "/usr/lib64/libz.so.1", List.of("zlib-1.3-1.x86_64", "zlib-compat-1.3-1.x86_64")),
        owners);
  }

  /** A stand-in rpm that logs its arguments, one per line, and answers as rpm would. */
  private Path fakeRpm(String answer) throws IOException {
    Path rpm = dir.resolve("rpm");
    Files.writeString(
        rpm,
        "#!/bin/sh\n"
            + "for a; do printf '%s\\n' \"$a\" >> '" + dir.resolve("calls") + "'; done\n"
            + "echo end >> '" + dir.resolve("calls") + "'\n"
            + "printf '" + answer + "'\n"
            + "echo 'error: file /gone: No such file or directory' >&2\n"
            + "exit 2\n");
    Files.setPosixFilePermissions(rpm, PosixFilePermissions.fromString("rwx------"));
    return rpm;
  }

  @Test
  void oneQueryForAllPathsWithoutThoseItCannotAnswer() throws IOException {
    Path rpm = fakeRpm("/usr/bin/foo\\tfoo-2-1.noarch\\n/usr/lib/a.so\\tliba-1-1.noarch\\n");
    Optional<Map<String, List<String>>> owners =
        new RpmOwners(List.of(rpm.toString()), Duration.ofSeconds(60))
            .owners(List.of("/usr/bin/foo", "/usr/lib/a.so", "/usr/lib/new\nline.so", "/usr/bin/foo", "/gone",
                "/usr/lib/back\\slash.so", "relative"));
    assertEquals(
        Optional.of(Map.of("/usr/bin/foo", List.of("foo-2-1.noarch"), "/usr/lib/a.so", List.of("liba-1-1.noarch"))),
        owners,
        "rpm's exit code and standard error are no failure");
    List<String> calls = Files.readAllLines(dir.resolve("calls"));
    assertEquals("end", calls.get(calls.size() - 1));
    assertEquals(1, calls.stream().filter("end"::equals).count(), "one rpm run: " + calls);
    assertEquals(List.of("-qf", "--qf"), calls.subList(0, 2));
    assertEquals(List.of("/usr/bin/foo", "/usr/lib/a.so", "/gone", "end"), calls.subList(3, calls.size()));
  }

  /** The real rpm, with a database of its own in which a package built here is recorded. */
  @Test
  void theRealRpmAnswers() throws IOException {
    Path spec = dir.resolve("sur-owned.spec");
    Files.writeString(
        spec,
        String.join(
            "\n",
            "Name: sur-owned",
            "Version: 3",
            "Release: 1",
            "Summary: test",
            "License: LGPL-2.1-or-later",
            "BuildArch: noarch",
            "%description",
            "test",
            "%install",
            "mkdir -p %{buildroot}/opt/sur-owned",
            "echo a > %{buildroot}/opt/sur-owned/a.so",
            "echo b > %{buildroot}/opt/sur-owned/b",
            "%files",
            "/opt/sur-owned/a.so",
            "/opt/sur-owned/b",
            ""));
    Path db = dir.resolve("db");
    Files.createDirectories(db);
    List<String> rpm = List.of("rpm", "--dbpath", db.toString());
    sh("rpmbuild", "-bb", "--quiet", "--define", "_topdir " + dir.resolve("top"), "--define",
        "_rpmdir " + dir.resolve("out"), "--define", "_build_id_links none", "--define",
        "_rpmfilename %%{NAME}.rpm", spec.toString());
    sh("rpm", "--dbpath", db.toString(), "--initdb");
    List<String> install = new java.util.ArrayList<>(rpm);
    install.addAll(List.of("-i", "--justdb", "--nodeps", "--nosignature"));
    if (sh("rpm", "--help").contains("--force-debian")) {
      install.add("--force-debian");
    }
    install.add(dir.resolve("out/sur-owned.rpm").toString());
    sh(install.toArray(String[]::new));

    assertEquals(
        Optional.of(Map.of("/opt/sur-owned/a.so", List.of("sur-owned-3-1.noarch"), "/opt/sur-owned/b",
            List.of("sur-owned-3-1.noarch"))),
        new RpmOwners(rpm, Duration.ofSeconds(60)).owners(List.of("/opt/sur-owned/a.so", "/opt/sur-owned/b", "/opt/none")));
  }

  /** Runs a command, requires exit 0, returns its output. */
  private String sh(String... argv) throws IOException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    try {
      assertEquals(0, p.waitFor(), () -> String.join(" ", argv) + ":\n" + out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }

  @Test
  void noRpmNoOwners() {
    assertEquals(
        Optional.empty(),
        new RpmOwners(List.of(dir.resolve("missing").toString()), Duration.ofSeconds(60)).owners(List.of("/usr/bin/foo")));
  }

  @Test
  void nothingToAskAsksNothing() throws IOException {
    Path rpm = fakeRpm("");
    assertEquals(
        Optional.of(Map.of()),
        new RpmOwners(List.of(rpm.toString()), Duration.ofSeconds(60)).owners(List.of("/a\nb")));
    assertTrue(Files.notExists(dir.resolve("calls")));
  }
}
