// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/** The real machine. */
public final class SystemHost implements Host {
  private static final Path RUNTIME_ROOT = Path.of("/run/user");
  private static final Duration GETENT_TIMEOUT = Duration.ofSeconds(5);
  /*
   * How long a user name missing from /etc/passwd is waited for: names are only labels, and they
   * are looked up before any user's deadline starts, on the rpm triggers' path too.
   */
  private static final Duration NAME_WAIT = Duration.ofMillis(500);

  private final Map<String, String> environment;
  /* Made at the first user missing from /etc/passwd: most runs need none. */
  private UserNames names;
  private Passwd passwd;

  public SystemHost(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Optional<String> offlineReason() {
    String offline = environment.get("SYSTEMD_OFFLINE");
    if (offline != null && List.of("1", "yes", "true", "on").contains(offline.toLowerCase())) {
      return Optional.of("SYSTEMD_OFFLINE=" + offline + " is set");
    }
    if (!Files.isDirectory(Path.of("/run/systemd/system"))) {
      return Optional.of("the system is not booted with systemd");
    }
    try {
      if (!Files.isSameFile(Path.of("/proc/1/root"), Path.of("/"))) {
        return Optional.of("running in a chroot");
      }
    } catch (AccessDeniedException e) {
      // Only root may look at PID 1's root; others are told to be root next, not "chroot".
    } catch (IOException e) {
      return Optional.of("cannot tell whether this is a chroot (" + e.getMessage() + ")");
    }
    try {
      if (Files.readString(Path.of("/etc/machine-id"), StandardCharsets.US_ASCII).isBlank()) {
        return Optional.of("/etc/machine-id is empty");
      }
    } catch (IOException e) {
      return Optional.of("no machine ID in /etc/machine-id");
    }
    if (!environment.containsKey("DBUS_SYSTEM_BUS_ADDRESS")
        && !Files.exists(Path.of("/run/dbus/system_bus_socket"))) {
      return Optional.of("no system bus");
    }
    return Optional.empty();
  }

  @Override
  public boolean isRoot() {
    try {
      return PeerLink.ourUid() == 0;
    } catch (IOException | RuntimeException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  @Override
  public SystemManager systemManager(Duration timeout) throws SystemdException {
    return DBusSystemManager.start().await(timeout);
  }

  @Override
  public UserManagerConnector userManagers() {
    return new DBusUserManagerConnector(RUNTIME_ROOT);
  }

  @Override
  public String userName(int uid) {
    String name = passwd().names().get(uid);
    return name != null ? name : names().of(uid).orElse(Integer.toString(uid));
  }

  private synchronized UserNames names() {
    if (names == null) {
      names = new UserNames(SystemHost::nssName, NAME_WAIT);
    }
    return names;
  }

  /*
   * Users from NSS (LDAP, systemd-homed…) are not in /etc/passwd: the JDK asks getpwuid() for the
   * owner of the user's runtime folder, when the folder is indeed the user's.
   */
  private static String nssName(int uid) {
    try {
      Map<String, Object> attrs =
          Files.readAttributes(
              RUNTIME_ROOT.resolve(Integer.toString(uid)),
              "unix:uid,owner",
              LinkOption.NOFOLLOW_LINKS);
      return attrs.get("uid") instanceof Integer owner && owner == uid
          ? ((UserPrincipal) attrs.get("owner")).getName()
          : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public OptionalInt userId(String nameOrUid) {
    if (Uids.isDigits(nameOrUid)) {
      return Uids.parse(nameOrUid);
    }
    Integer uid = passwd().uids().get(nameOrUid);
    return uid != null ? OptionalInt.of(uid) : getent(nameOrUid);
  }

  /* NSS (LDAP, sssd) can hang; this runs before any deadline, so it has one of its own. */
  private static OptionalInt getent(String name) {
    try {
      Process p =
          new ProcessBuilder("getent", "passwd", "--", name)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(GETENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return OptionalInt.empty();
      }
      // One passwd line: it fits in the pipe, so waiting first cannot block the child.
      String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.exitValue() == 0) {
        String[] fields = line.split(":");
        if (fields.length > 2) {
          return Uids.parse(fields[2]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return OptionalInt.empty();
  }

  /* Read once: a run looks up every active user, and there can be hundreds. */
  private synchronized Passwd passwd() {
    if (passwd == null) {
      passwd = Passwd.read(Path.of("/etc/passwd"));
    }
    return passwd;
  }

  /** The users of /etc/passwd, by UID and by name; the first entry wins, as with getpwuid(). */
  private record Passwd(Map<Integer, String> names, Map<String, Integer> uids) {
    static Passwd read(Path file) {
      Map<Integer, String> names = new HashMap<>();
      Map<String, Integer> uids = new HashMap<>();
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        lines = List.of();
      }
      for (String line : lines) {
        String[] f = line.split(":", 4);
        OptionalInt uid = f.length >= 3 ? Uids.parse(f[2]) : OptionalInt.empty();
        if (uid.isPresent()) {
          names.putIfAbsent(uid.getAsInt(), f[0]);
          uids.putIfAbsent(f[0], uid.getAsInt());
        }
      }
      return new Passwd(names, uids);
    }
  }

  @Override
  public int cpus() {
    return Runtime.getRuntime().availableProcessors();
  }
}
