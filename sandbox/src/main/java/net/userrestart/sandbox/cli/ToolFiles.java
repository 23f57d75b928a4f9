// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarFile;
import net.userrestart.systemd.UnitName;

/**
 * The files that run the tool, which the sandbox's demo runs inside: the launcher (when started
 * through it), the tool's jar, the jars its manifest names, and this JVM, or none where the tool
 * runs on the JVM of the OS tree the sandbox boots. All real paths.
 */
record ToolFiles(Path launcher, Path jar, List<Path> libraries, Optional<Path> javaHome) {
  /** Set by bin/systemd-user-restart to its own path. */
  static final String LAUNCHER_VARIABLE = "SYSTEMD_USER_RESTART_LAUNCHER";

  ToolFiles {
    libraries = List.copyOf(libraries);
  }

  /** The tool's files on this class path; {@code launcher} is the launcher's variable, or null. */
  static ToolFiles find(String launcher) {
    try {
      Path jar = toolJar();
      Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
      Path script = null;
      if (launcher != null && Files.isExecutable(Path.of(launcher))) {
        script = Path.of(launcher).toRealPath();
      }
      return new ToolFiles(script, jar, libraries(jar), Optional.of(javaHome));
    } catch (IOException e) {
      throw new CommandFailure(ExitCode.SANDBOX, "sandbox: cannot find the tool's files: " + e.getMessage());
    }
  }

  /** These files run by the JVM on the PATH inside: an OS tree's own, which is what it ships. */
  ToolFiles onTreeJvm() {
    return new ToolFiles(launcher, jar, libraries, Optional.empty());
  }

  /** Every file and folder above, for the sandbox to show. */
  List<Path> all() {
    List<Path> all = new ArrayList<>();
    if (launcher != null) {
      all.add(launcher);
    }
    all.add(jar);
    all.addAll(libraries);
    javaHome.ifPresent(all::add);
    return all;
  }

  /**
   * The same launcher, with its JVM flags, and the same JVM (or the one on PATH); plain java -jar
   * when not started through the launcher.
   */
  List<String> command() {
    if (launcher != null) {
      return javaHome
          .map(home -> List.of("env", "JAVA_HOME=" + home, launcher.toString()))
          .orElse(List.of(launcher.toString()));
    }
    String java = javaHome.map(home -> home.resolve("bin/java").toString()).orElse("java");
    return List.of(java, "-jar", jar.toString());
  }

  /* The jar that holds the tool's classes, of which UnitName is one. */
  private static Path toolJar() throws IOException {
    try {
      Path jar = Path.of(UnitName.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!Files.isRegularFile(jar)) {
        throw new CommandFailure(ExitCode.SANDBOX, "sandbox: run from the built jar (mvn package), not from " + jar);
      }
      return jar.toRealPath();
    } catch (URISyntaxException e) {
      throw new CommandFailure(ExitCode.INTERNAL, "cannot locate the tool's jar: " + e.getMessage());
    }
  }

  /* The jars of the manifest's Class-Path, relative to the jar's folder. */
  private static List<Path> libraries(Path jar) throws IOException {
    List<Path> libs = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      String classPath =
          file.getManifest() == null ? null : file.getManifest().getMainAttributes().getValue("Class-Path");
      if (classPath != null) {
        for (String entry : classPath.strip().split("\\s+")) {
          Path lib = jar.resolveSibling(entry);
          if (Files.isRegularFile(lib)) {
            libs.add(lib.toRealPath());
          }
        }
      }
    }
    return libs;
  }
}
