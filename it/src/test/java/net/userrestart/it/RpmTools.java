// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.userrestart.sandbox.Trial;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Host side of the rpm tests: running host commands, rpm's options, the packages they install. */
final class RpmTools {
  static final Duration BUILD = Duration.ofMinutes(5);

  private static String rpmHelp;

  private RpmTools() {}

  /** Exit code and output (stdout and stderr, interleaved) of a host command. */
  record HostResult(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs {@code argv} on the host from the project directory; kills it and fails on timeout. */
  static HostResult host(Duration timeout, String... argv) {
    Path log = null;
    try {
      log = Files.createTempFile("sur-rpm-it", ".log");
      ProcessBuilder pb =
          new ProcessBuilder(argv)
              .directory(ToolSandbox.PROJECT.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.environment().put("LC_ALL", "C");
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        fail("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", argv) + "\n"
            + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new HostResult(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("running " + String.join(" ", argv), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", argv), e);
    } finally {
      if (log != null) {
        try {
          Files.deleteIfExists(log);
        } catch (IOException ignored) {
          // A temporary file; nothing depends on it.
        }
      }
    }
  }

  /** Fails loudly when rpm or rpmbuild is missing, as the sandbox tests do for systemd. */
  static void requireRpm() {
    HostResult r = host(Duration.ofSeconds(30), "sh", "-c", "command -v rpm && command -v rpmbuild");
    assertTrue(r.ok(), "rpm and rpmbuild are needed (Debian: apt-get install rpm):\n" + r.output());
  }

  /** {@link Trial#installOptions} for this host's rpm, which the tests run with --root. */
  static synchronized List<String> hostInstallOptions() {
    if (rpmHelp == null) {
      rpmHelp = host(Duration.ofSeconds(30), "rpm", "--help").output();
    }
    return Trial.installOptions(rpmHelp);
  }

  /** {@link Trial#installOptions} for the rpm inside {@code box}: the tree's, not the host's. */
  static List<String> installOptions(ToolSandbox box) {
    return Trial.installOptions(box.root("rpm", "--help").orThrow("rpm --help").stdout());
  }

  /** rpm's output without the banner Debian's rpm prints on every install. */
  static String withoutBanner(String output) {
    return output
        .lines()
        .filter(l -> !l.contains("use Alien instead") && !l.contains("assuming you know what you are doing"))
        .collect(Collectors.joining("\n"))
        .strip();
  }

  /**
   * Our RPMs and the test packages, built by the project's scripts into a fresh folder below
   * target/, which the sandbox sees at the same path (a temporary folder on the host would be
   * hidden there). One folder per test class run, so concurrent builds do not collide.
   */
  static final class Packages implements AutoCloseable {
    final Path dir;

    private Packages(Path dir) {
      this.dir = dir;
    }

    static Packages build() throws IOException {
      Path target = ToolSandbox.PROJECT.resolve("target");
      Files.createDirectories(target);
      Packages p = new Packages(Files.createTempDirectory(target, "rpm-it-"));
      try {
        HostResult tool = host(BUILD, "rpm/build-rpm.sh", p.dir.toString());
        assertEquals(0, tool.exitCode(), () -> "rpm/build-rpm.sh failed:\n" + tool.output());
        HostResult tests = host(BUILD, "it/src/test/rpm/build-test-rpms.sh", p.dir.toString());
        assertEquals(0, tests.exitCode(), () -> "it/src/test/rpm/build-test-rpms.sh failed:\n" + tests.output());
        return p;
      } catch (RuntimeException | Error e) {
        p.close();
        throw e;
      }
    }

    /** The main package, systemd-user-restart-VERSION-RELEASE.noarch.rpm. */
    Path tool() throws IOException {
      try (Stream<Path> s = Files.list(dir)) {
        List<Path> found =
            s.filter(f -> f.getFileName().toString().matches("systemd-user-restart-[0-9].*\\.noarch\\.rpm"))
                .toList();
        assertEquals(1, found.size(), () -> "expected one systemd-user-restart RPM in " + dir + ": " + found);
        return found.get(0);
      }
    }

    /** The sandbox subpackage, systemd-user-restart-sandbox-VERSION-RELEASE.noarch.rpm. */
    Path sandbox() throws IOException {
      try (Stream<Path> s = Files.list(dir)) {
        List<Path> found =
            s.filter(f -> f.getFileName().toString().matches("systemd-user-restart-sandbox-[0-9].*\\.noarch\\.rpm"))
                .toList();
        assertEquals(1, found.size(), () -> "expected one systemd-user-restart-sandbox RPM in " + dir + ": " + found);
        return found.get(0);
      }
    }

    /** A test package, NAME-VERSION-1.noarch.rpm. */
    Path test(String name, int version) {
      Path f = dir.resolve(name + "-" + version + "-1.noarch.rpm");
      assertTrue(Files.isRegularFile(f), () -> "not built: " + f);
      return f;
    }

    @Override
    public void close() {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("removing " + dir, e);
      }
    }
  }

  /**
   * The packages of one test class, as a JUnit extension: built before its first test (after
   * checking the sandbox and rpm are there), removed after its last.
   */
  static final class BuiltPackages implements BeforeAllCallback, AfterAllCallback {
    private Packages packages;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
      ToolSandbox.requireSandbox();
      requireRpm();
      packages = Packages.build();
    }

    @Override
    public void afterAll(ExtensionContext context) {
      if (packages != null) {
        packages.close();
      }
    }

    Path tool() throws IOException {
      return packages.tool();
    }

    Path sandbox() throws IOException {
      return packages.sandbox();
    }

    Path test(String name, int version) {
      return packages.test(name, version);
    }
  }
}
