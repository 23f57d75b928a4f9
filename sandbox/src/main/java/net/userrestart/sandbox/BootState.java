// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One reading of how far a sandbox has booted, parsed from the output of probe.sh. */
record BootState(
    String system,
    Map<Integer, String> managers,
    Map<Integer, Boolean> sockets,
    Map<Integer, List<String>> unitStates) {

  private static final int LISTED = 8;

  static BootState parse(String probeOutput) {
    String system = "unknown";
    Map<Integer, String> managers = new HashMap<>();
    Map<Integer, Boolean> sockets = new HashMap<>();
    Map<Integer, List<String>> units = new HashMap<>();
    for (String line : probeOutput.split("\n")) {
      String[] f = line.strip().split("\\s+");
      switch (f[0]) {
        case "system" -> system = f.length > 1 ? f[1] : "unknown";
        case "user" -> {
          if (f.length == 4) {
            int uid = Integer.parseInt(f[1]);
            managers.put(uid, f[2]);
            sockets.put(uid, f[3].equals("yes"));
          }
        }
        case "units" -> {
          if (f.length >= 2) {
            units.put(Integer.parseInt(f[1]), List.of(f).subList(2, f.length));
          }
        }
        default -> {
          // Noise from a command that started before the bus was up.
        }
      }
    }
    return new BootState(system, managers, sockets, units);
  }

  boolean systemUp() {
    return system.equals("running") || system.equals("degraded");
  }

  long managersActive(List<SandboxUser> users) {
    return users.stream().filter(u -> "active".equals(managers.get(u.uid()))).count();
  }

  long socketsPresent(List<SandboxUser> users) {
    return users.stream().filter(u -> Boolean.TRUE.equals(sockets.get(u.uid()))).count();
  }

  boolean ready(List<SandboxUser> users, List<String> units) {
    return systemUp()
        && managersActive(users) == users.size()
        && socketsPresent(users) == users.size()
        && notActiveUnits(users, units).isEmpty();
  }

  /** What can no longer come up by waiting: a failed user manager or unit. */
  List<String> failures(List<SandboxUser> users, List<String> units) {
    List<String> failed = new ArrayList<>();
    for (SandboxUser u : users) {
      if ("failed".equals(managers.get(u.uid()))) {
        failed.add(u.managerUnit() + " failed");
      }
    }
    for (String n : notActiveUnits(users, units)) {
      if (n.endsWith("=failed")) {
        failed.add(n);
      }
    }
    return failed;
  }

  /** "sur-user1:sur-demo.service=failed" for each enabled unit not active, once probed. */
  private List<String> notActiveUnits(List<SandboxUser> users, List<String> units) {
    List<String> missing = new ArrayList<>();
    if (units.isEmpty()) {
      return missing;
    }
    for (SandboxUser u : users) {
      List<String> states = unitStates.get(u.uid());
      for (int i = 0; i < units.size(); i++) {
        String state = states == null || i >= states.size() ? "unknown" : states.get(i);
        if (!state.equals("active")) {
          missing.add(u.name() + ":" + units.get(i) + "=" + state);
        }
      }
    }
    return missing;
  }

  /** A one-line account of progress, for humans watching the boot. */
  String summary(List<SandboxUser> users) {
    return "system "
        + system
        + ", user managers active "
        + managersActive(users)
        + "/"
        + users.size()
        + ", private sockets "
        + socketsPresent(users)
        + "/"
        + users.size();
  }

  /** Says what is not up yet, naming at most a few units of each kind. */
  String missing(List<SandboxUser> users, List<String> units) {
    List<String> parts = new ArrayList<>();
    if (!systemUp()) {
      parts.add("system state is '" + system + "' (want running or degraded)");
    }
    List<String> managersDown = new ArrayList<>();
    List<String> socketsMissing = new ArrayList<>();
    for (SandboxUser u : users) {
      String state = managers.getOrDefault(u.uid(), "unknown");
      if (!state.equals("active")) {
        managersDown.add(u.managerUnit() + "=" + state);
      }
      if (!Boolean.TRUE.equals(sockets.get(u.uid()))) {
        socketsMissing.add(u.privateSocket());
      }
    }
    if (!managersDown.isEmpty()) {
      parts.add(managersDown.size() + " user managers not active: " + listed(managersDown));
    }
    if (!socketsMissing.isEmpty()) {
      parts.add(socketsMissing.size() + " private sockets missing: " + listed(socketsMissing));
    }
    if (managersDown.isEmpty() && socketsMissing.isEmpty()) {
      List<String> unitsDown = notActiveUnits(users, units);
      if (!unitsDown.isEmpty()) {
        parts.add(unitsDown.size() + " user units not active: " + listed(unitsDown));
      }
    }
    return parts.isEmpty() ? "nothing" : String.join("; ", parts);
  }

  private static String listed(List<String> items) {
    if (items.size() <= LISTED) {
      return String.join(", ", items);
    }
    return String.join(", ", items.subList(0, LISTED))
        + " and "
        + (items.size() - LISTED)
        + " more";
  }
}
