// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The OS the end-to-end tests boot: this machine's own root, or a Debian tree of a newer release.
 * The build runs the tests once per tree and says which through system properties: {@value #NAME}
 * (host, trixie, sid), {@value #ROOT} (the tree's folder; empty for the host) and {@value #JAVA}
 * (the Java feature version the tree runs the tool with).
 *
 * @param name the tree's name, as in the build's {@code -Dtrees=host,trixie,sid}
 * @param root the tree's folder, or empty for the host's root
 * @param javaFeature the feature version of the JVM on the tree's PATH, 0 when not told
 */
public record TreeUnderTest(String name, Optional<Path> root, int javaFeature) {
  public static final String NAME = "sur.tree";
  public static final String ROOT = "sur.tree.root";
  public static final String JAVA = "sur.tree.java";

  public TreeUnderTest {
    if (!name.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("not a tree name: " + name);
    }
    root.ifPresent(
        r -> {
          if (!r.isAbsolute()) {
            throw new IllegalArgumentException(ROOT + " must be absolute: " + r);
          }
        });
  }

  /** The tree this test run is for; the host when the build names none. */
  public static TreeUnderTest current() {
    String root = System.getProperty(ROOT, "").strip();
    String java = System.getProperty(JAVA, "").strip();
    return new TreeUnderTest(
        System.getProperty(NAME, "host").strip(),
        root.isEmpty() ? Optional.empty() : Optional.of(Path.of(root)),
        java.isEmpty() ? 0 : Integer.parseInt(java));
  }

  /** Whether the tests boot this machine's own root. */
  public boolean onHost() {
    return root.isEmpty();
  }

  /** {@code spec} booting this tree. */
  public SandboxSpec boot(SandboxSpec spec) {
    return root.map(spec::withRoot).orElse(spec);
  }

  /** The sandbox command's options that boot this tree: {@code --root DIR}, or none. */
  public List<String> sandboxOptions() {
    return root.map(r -> List.of("--root", r.toString())).orElse(List.of());
  }

  /** For messages: the name, and the folder of a tree. */
  @Override
  public String toString() {
    return root.map(r -> name + " (" + r + ")").orElse(name);
  }
}
