// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Optional;

/**
 * An OS tree that a sandbox boots instead of the host's root, such as one made with debootstrap.
 * It becomes the overlay's lower layer and is never written to.
 */
public final class OsTree {
  /** The host's own root: the sandbox boots this machine's systemd. */
  public static final Path HOST = Path.of("/");

  private OsTree() {}

  /**
   * Why {@code dir} cannot be booted, or empty when it can: it must be an absolute directory owned
   * by root (a tree that another user may change would run their code as root in the sandbox),
   * with systemd at lib/systemd/systemd, and its path must be usable as an overlay option.
   */
  public static Optional<String> problem(Path dir) {
    String s = dir.toString();
    if (!dir.isAbsolute()) {
      return Optional.of("not an absolute path");
    }
    // The overlay's mount options are separated by commas and its lower layers by colons.
    if (s.chars().anyMatch(c -> c == ',' || c == ':' || c < 0x20 || c == 0x7f)) {
      return Optional.of("the path has a comma, colon or control character");
    }
    if (!Files.isDirectory(dir)) {
      return Optional.of("not a directory");
    }
    try {
      PosixFileAttributes attrs =
          Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.owner().getName().equals("root")) {
        return Optional.of("not owned by root");
      }
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("cannot read its owner");
    }
    if (!Files.isExecutable(dir.resolve("lib/systemd/systemd"))) {
      return Optional.of("has no lib/systemd/systemd: not an OS tree with systemd");
    }
    return Optional.empty();
  }
}
