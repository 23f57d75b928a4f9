// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a sandbox takes away from everything in it, so that nothing inside changes the host's
 * kernel: capabilities that act on the host's kernel, clock or devices. The sandbox shares the
 * host's user namespace, so these would act on the host itself.
 *
 * <p>These are the capabilities systemd-nspawn drops by default, and two it keeps: CAP_MKNOD
 * (nspawn limits devices with a device cgroup policy instead; here /dev holds only the few nodes
 * the boot script makes) and CAP_SYS_BOOT (nspawn blocks kexec_load with seccomp; here only the
 * bounding set stands in the way). /proc/sys and the other kernel knobs of /proc are read-only
 * besides (boot.sh).
 *
 * <p>Root inside keeps CAP_SYS_ADMIN, which systemd needs: it could mount a fresh /proc, so this
 * guards against accidents of packages and of systemd's own start-up, not against a package that
 * sets out to escape.
 */
public final class Confinement {
  /** Dropped from the bounding set of systemd, of all it starts and of every command run inside. */
  public enum Capability {
    IPC_LOCK(14),
    SYS_MODULE(16),
    SYS_RAWIO(17),
    SYS_PACCT(20),
    SYS_BOOT(22),
    SYS_TIME(25),
    MKNOD(27),
    MAC_OVERRIDE(32),
    MAC_ADMIN(33),
    SYSLOG(34),
    WAKE_ALARM(35),
    BLOCK_SUSPEND(36),
    AUDIT_READ(37),
    PERFMON(38),
    BPF(39),
    CHECKPOINT_RESTORE(40);

    private final int bit;

    Capability(int bit) {
      this.bit = bit;
    }

    /** The capability's number, its bit in /proc/PID/status's Cap* masks. */
    public int bit() {
      return bit;
    }

    /** As setpriv(1) names it: {@code sys_module}. */
    String setprivName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The longest value /proc/sys gives out is a page. */
  private static final int SYSCTL_MAX = 64 * 1024;

  private Confinement() {}

  /** The capabilities this host's kernel knows of, that a sandbox drops. */
  public static List<Capability> dropped() {
    int last = lastCapability();
    return Arrays.stream(Capability.values()).filter(c -> c.bit() <= last).toList();
  }

  /** setpriv's {@code --bounding-set} argument that drops {@link #dropped()}. */
  static String boundingSetArgument() {
    return dropped().stream().map(c -> "-" + c.setprivName()).collect(Collectors.joining(","));
  }

  /** The command that runs the rest of a command line with {@link #dropped()} dropped. */
  static List<String> boundedCommand() {
    return List.of("setpriv", "--bounding-set", boundingSetArgument(), "--");
  }

  /**
   * A value of /proc/sys, read in one read(2): integer sysctls answer a read at a later offset
   * with end of file, so Files.readString, which reads the first byte alone, sees one digit.
   */
  public static String sysctl(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[SYSCTL_MAX];
      int n = in.read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8).strip();
    }
  }

  /* setpriv refuses capabilities that the kernel does not know, as older kernels do not. */
  private static int lastCapability() {
    Path file = Path.of("/proc/sys/kernel/cap_last_cap");
    try {
      return Integer.parseInt(sysctl(file));
    } catch (IOException | NumberFormatException e) {
      throw new SandboxException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
