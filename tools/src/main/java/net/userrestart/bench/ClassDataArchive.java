// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.userrestart.sandbox.ExecResult;

/**
 * For {@code --cds train}: a class-data archive for the launcher, dumped by the JVM that will use
 * it at the jar's path, from a real run: the project is read-only inside, so it is written below
 * /run and copied. The launcher takes an archive only when its mtime is the jar's and its .jvm
 * stamp's the JVM's.
 */
final class ClassDataArchive {
  /** Where the training run dumps the archive, inside the sandbox. */
  static final String DUMP = Box.DIR + "/train.jsa";

  private ClassDataArchive() {}

  /** Stamps the archive dumped in the sandbox, copies it to archive and checks the launcher takes it. */
  static void adopt(Box box, Path archive, Path jar, String tool) {
    box.sandbox
        .exec(Duration.ofSeconds(30), "/bin/sh", "-c",
            "touch -r '" + jar + "' " + DUMP + " && touch " + DUMP + ".jvm"
                + " && touch -r \"$(readlink -f \"$(command -v java)\")\" " + DUMP + ".jvm")
        .orThrow("stamping the class-data archive");
    // cp keeps the mtimes to the nanosecond, as the launcher compares them; Files.copy does not.
    copyKeepingTimes(box.sandbox.hostPath(DUMP), archive);
    copyKeepingTimes(box.sandbox.hostPath(DUMP + ".jvm"), jvmStamp(archive));
    // The stamping above repeats the launcher's rule; should the two part, the launcher would
    // silently start without the archive and every timed run would pay for it. Ask the launcher
    // which command it runs (it ignores the JVM's option variables as root), then that JVM.
    String java =
        "java " + String.join(" ", Runner.launcherFlags(Path.of(tool)))
            + " -XX:SharedArchiveFile=" + archive + " -Xshare:auto"
            + " -Xlog:class+load=info:file=" + Box.DIR + "/cds-check.log -jar " + jar;
    ExecResult check =
        box.sandbox.exec(
            Duration.ofSeconds(30),
            "/bin/sh",
            "-c",
            "sh -x " + tool + " --version 2>&1 >/dev/null | grep -q -e '-XX:SharedArchiveFile=" + archive + "'"
                + " && " + java + " --version >/dev/null 2>&1"
                + " && grep -q 'shared objects file (top)' " + Box.DIR + "/cds-check.log");
    if (!check.ok()) {
      throw new IllegalStateException("the launcher does not take the trained class-data archive");
    }
  }

  static void delete(Path archive) throws IOException {
    Files.deleteIfExists(archive);
    Files.deleteIfExists(jvmStamp(archive));
  }

  /* The launcher's stamp of the JVM an archive was made by, next to the archive. */
  private static Path jvmStamp(Path archive) {
    return archive.resolveSibling(archive.getFileName() + ".jvm");
  }

  private static void copyKeepingTimes(Path from, Path to) {
    try {
      Process p =
          new ProcessBuilder("cp", "--preserve=timestamps", from.toString(), to.toString())
              .inheritIO()
              .start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("cannot copy " + from + " to " + to);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot copy " + from + " to " + to, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted copying " + from);
    }
  }
}
