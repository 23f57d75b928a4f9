// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostViewTest {
  /** A Fedora-like host: /home a mount of its own, a checkout path with a space in it. */
  private static final HostView HOST =
      HostView.ofMountInfo(
          List.of(
              "22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
              "23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw",
              "24 22 0:22 / /sys rw,nosuid shared:3 - sysfs sysfs rw",
              "25 24 0:23 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw",
              "26 22 0:5 / /dev rw,nosuid shared:5 - devtmpfs devtmpfs rw",
              "27 22 0:24 / /run rw,nosuid shared:6 - tmpfs tmpfs rw",
              "28 22 0:25 / /tmp rw,nosuid shared:7 - tmpfs tmpfs rw",
              "29 22 253:1 /home /home rw,relatime shared:8 - btrfs /dev/vda2 rw",
              "30 22 253:0 /srv/my\\040src /opt/my\\040src rw shared:9 - ext4 /dev/vda1 rw"));

  @Test
  void theInstalledToolAndItsJvmAreShownWithoutABind() {
    List<Path> installed =
        List.of(
            Path.of("/usr/bin/systemd-user-restart"),
            Path.of("/usr/share/systemd-user-restart/systemd-user-restart.jar"),
            Path.of("/usr/share/systemd-user-restart/lib/dbus-java-core-5.2.2.jar"),
            Path.of("/usr/lib/jvm/java-17-openjdk-amd64"));
    assertEquals(List.of(), HOST.toBind(installed), "nothing of /usr is bound");
  }

  @Test
  void pathsOnOtherMountsOrBelowFreshFoldersAreBoundAsGiven() {
    Path checkout = Path.of("/home/me/src/bin/systemd-user-restart");
    Path rpm = Path.of("/tmp/build/foo-1.noarch.rpm");
    Path run = Path.of("/run/media/me/stick/foo-2.noarch.rpm");
    Path spaced = Path.of("/opt/my src/x.jar");
    assertEquals(
        List.of(checkout, rpm, run, spaced),
        HOST.toBind(List.of(checkout, Path.of("/usr/bin/java"), rpm, run, rpm, spaced)));
  }

  @Test
  void namesThatOnlyBeginLikeAMountPointAreShown() {
    assertTrue(HOST.shows(Path.of("/tmpfiles/x")));
    assertTrue(HOST.shows(Path.of("/homework/x")));
    assertFalse(HOST.shows(Path.of("/home")));
    assertFalse(HOST.shows(Path.of("/sys/fs/cgroup/x")));
    assertTrue(HOST.shows(Path.of("/usr/lib/../bin/ls")));
    assertFalse(HOST.shows(Path.of("/usr/../tmp/x")), "normalised first");
  }

  @Test
  void aRelativePathIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> HOST.shows(Path.of("tmp/x")));
  }
}
