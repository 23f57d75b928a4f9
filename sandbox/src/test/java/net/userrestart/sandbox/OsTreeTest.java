// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OsTreeTest {
  @TempDir Path dir;

  private Path tree() throws IOException {
    Path systemd = dir.resolve("tree/lib/systemd/systemd");
    Files.createDirectories(systemd.getParent());
    Files.writeString(systemd, "#!/bin/sh\n");
    Files.setPosixFilePermissions(systemd, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir.resolve("tree");
  }

  private static boolean root() {
    return System.getProperty("user.name").equals("root");
  }

  @Test
  void aRootOwnedTreeWithSystemdBoots() throws IOException {
    Path tree = tree();
    assertEquals(root() ? Optional.empty() : Optional.of("not owned by root"), OsTree.problem(tree));
  }

  @Test
  void whatCannotBeBootedSaysWhy() throws IOException {
    Path tree = tree();
    assertEquals(Optional.of("not an absolute path"), OsTree.problem(Path.of("tree")));
    assertEquals(Optional.of("not a directory"), OsTree.problem(dir.resolve("missing")));
    assertEquals(Optional.of("not a directory"), OsTree.problem(tree.resolve("lib/systemd/systemd")));
    assertTrue(OsTree.problem(Path.of("/tmp/a,b")).orElseThrow().contains("comma"));
    assertTrue(OsTree.problem(Path.of("/tmp/a:b")).orElseThrow().contains("colon"));
    assertTrue(OsTree.problem(Path.of("/tmp/a\nb")).orElseThrow().contains("control"));
    if (root()) {
      Files.delete(tree.resolve("lib/systemd/systemd"));
      assertTrue(OsTree.problem(tree).orElseThrow().contains("lib/systemd/systemd"));
      UserPrincipal nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
      Files.setOwner(tree, nobody);
      assertEquals(Optional.of("not owned by root"), OsTree.problem(tree));
    }
  }

  @Test
  void aSpecBootsTheHostUnlessGivenATree() {
    SandboxSpec spec = SandboxSpec.of(1);
    assertEquals(Path.of("/"), spec.root());
    assertTrue(spec.onHostRoot());
    SandboxSpec tree = spec.withRoot(Path.of("/srv/trees/sid/")).withUserUnit("a.service", "");
    assertEquals(Path.of("/srv/trees/sid"), tree.root());
    assertEquals(false, tree.onHostRoot());
    for (String bad : new String[] {"trees/sid", "/srv/a,b", "/srv/a:b", "/srv/a\nb"}) {
      assertThrows(IllegalArgumentException.class, () -> spec.withRoot(Path.of(bad)), bad);
    }
  }

  @Test
  void aTreeShowsNoHostPathSoEveryNeededPathIsBound() {
    HostView view = HostView.forRoot(Path.of("/srv/trees/sid"));
    assertEquals(false, view.shows(Path.of("/usr/bin/java")));
    assertEquals(
        java.util.List.of(Path.of("/usr/share/x.jar"), Path.of("/home/me/src")),
        view.toBind(java.util.List.of(Path.of("/usr/share/x.jar"), Path.of("/home/me/src"))));
  }
}
