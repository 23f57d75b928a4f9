// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a sandbox boots with: how many lingering users, the user units enabled for all of them, host
 * paths visible read-only at the same path inside, how long boot may take, and the root of the OS
 * it boots: the host's {@code /}, or an OS tree (see {@link OsTree}).
 */
public record SandboxSpec(
    int users,
    Map<String, String> userUnits,
    List<Path> bindReadOnly,
    Duration bootTimeout,
    Path root) {

  /** UID of the first test user; the others follow without gaps. */
  public static final int FIRST_UID = 4001;

  /** Test users are named this prefix followed by 1, 2, ... */
  public static final String USER_PREFIX = "sur-user";

  /** More would leave the UID range that is free on Debian for local users. */
  public static final int MAX_USERS = 1000;

  private static final Pattern UNIT_NAME =
      Pattern.compile("[A-Za-z0-9:_.\\\\-]+(@[A-Za-z0-9:_.\\\\-]*)?\\.[a-z]+");

  public SandboxSpec {
    if (users < 0 || users > MAX_USERS) {
      throw new IllegalArgumentException("users must be within 0.." + MAX_USERS + ": " + users);
    }
    Map<String, String> units = new LinkedHashMap<>();
    userUnits.forEach(
        (name, content) -> {
          if (!UNIT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a unit file name: " + name);
          }
          if (content.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("unit " + name + " contains a NUL character");
          }
          units.put(name, content);
        });
    userUnits = Collections.unmodifiableMap(units);
    List<Path> binds = new ArrayList<>();
    for (Path p : bindReadOnly) {
      String s = p.toString();
      // The boot script reads one path per line.
      if (!p.isAbsolute() || p.getNameCount() == 0 || s.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("bind path must be absolute, not /, one line: " + s);
      }
      binds.add(p.normalize());
    }
    bindReadOnly = List.copyOf(binds);
    if (bootTimeout.isNegative() || bootTimeout.isZero()) {
      throw new IllegalArgumentException("boot timeout must be positive: " + bootTimeout);
    }
    // The tree itself is checked at boot: this record holds data and reads no files.
    if (!root.isAbsolute() || root.toString().chars().anyMatch(c -> c == ',' || c == ':' || c < 0x20)) {
      throw new IllegalArgumentException("root must be absolute, without , : or controls: " + root);
    }
    root = root.normalize();
  }

  /** A spec that boots the host's own root. */
  public SandboxSpec(
      int users, Map<String, String> userUnits, List<Path> bindReadOnly, Duration bootTimeout) {
    this(users, userUnits, bindReadOnly, bootTimeout, OsTree.HOST);
  }

  /** {@code users} lingering users, no units, no binds, a boot timeout that grows with users. */
  public static SandboxSpec of(int users) {
    return new SandboxSpec(users, Map.of(), List.of(), defaultBootTimeout(users));
  }

  /**
   * 30 s plus 1 s per user: a safety net. On two cores systemd 252 starts 100 users in under 30 s;
   * 262 starts two or three user managers a second (200 users: 72 to 84 s).
   */
  public static Duration defaultBootTimeout(int users) {
    return Duration.ofSeconds(30).plusSeconds(users);
  }

  /** This spec with one more user unit, enabled in every user manager unless it is a template. */
  public SandboxSpec withUserUnit(String name, String content) {
    Map<String, String> units = new LinkedHashMap<>(userUnits);
    units.put(name, content);
    return new SandboxSpec(users, units, bindReadOnly, bootTimeout, root);
  }

  /** This spec with one more host path bound read-only at the same path inside. */
  public SandboxSpec withBindReadOnly(Path hostPath) {
    List<Path> binds = new ArrayList<>(bindReadOnly);
    binds.add(hostPath);
    return new SandboxSpec(users, userUnits, binds, bootTimeout, root);
  }

  public SandboxSpec withBootTimeout(Duration timeout) {
    return new SandboxSpec(users, userUnits, bindReadOnly, timeout, root);
  }

  /** This spec booting the OS tree in {@code tree} instead of the host's root. */
  public SandboxSpec withRoot(Path tree) {
    return new SandboxSpec(users, userUnits, bindReadOnly, bootTimeout, tree);
  }

  /** Whether this spec boots the host's own root rather than an OS tree. */
  public boolean onHostRoot() {
    return root.equals(OsTree.HOST);
  }

  /** The users a sandbox of this spec creates. */
  public List<SandboxUser> sandboxUsers() {
    List<SandboxUser> list = new ArrayList<>(users);
    for (int i = 1; i <= users; i++) {
      list.add(new SandboxUser(USER_PREFIX + i, FIRST_UID + i - 1));
    }
    return List.copyOf(list);
  }

  /** The user units that are enabled, so boot waits for them to be active. */
  public List<String> enabledUserUnits() {
    return userUnits.keySet().stream().filter(n -> !n.contains("@.")).toList();
  }
}
