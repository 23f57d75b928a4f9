// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarksByUser;

/** Turns a request, the active user managers and the pending marks into a plan. No I/O. */
public final class Planner {
  private Planner() {}

  /** The active managers the request asks for: all of them, or the named users' ones; by UID. */
  public static Map<Integer, String> chosen(Request request, Map<Integer, String> active) {
    Map<Integer, String> chosen = new TreeMap<>();
    if (request.users().isEmpty()) {
      chosen.putAll(active);
    } else {
      for (UserTarget asked : request.users().get()) {
        if (active.containsKey(asked.uid())) {
          chosen.put(asked.uid(), active.get(asked.uid()));
        }
      }
    }
    return chosen;
  }

  /**
   * @param active the UIDs of active user managers and their user names, in UID order
   * @param marks the marks pending for a UID
   */
  public static Plan plan(Request request, Map<Integer, String> active, MarksByUser marks) {
    return plan(request, active, marks, Map.of());
  }

  /**
   * @param stale the units that run replaced files, by UID; they join the plan when the request
   *     asks for them
   */
  public static Plan plan(
      Request request,
      Map<Integer, String> active,
      MarksByUser marks,
      Map<Integer, Set<String>> stale) {
    Map<Integer, UserTarget> absent = new LinkedHashMap<>();
    for (UserTarget asked : request.users().orElse(List.of())) {
      if (!active.containsKey(asked.uid())) {
        absent.putIfAbsent(asked.uid(), asked);
      }
    }
    List<UserTarget> users = new ArrayList<>();
    for (Map.Entry<Integer, String> e : chosen(request, active).entrySet()) {
      Set<Mark> all = new TreeSet<>(marks.marks(e.getKey()));
      for (String unit : request.units()) {
        all.add(new Mark(Mark.Kind.RESTART, unit));
      }
      Set<String> staleHere = request.stale() ? stale.getOrDefault(e.getKey(), Set.of()) : Set.of();
      users.add(new UserTarget(e.getKey(), e.getValue(), all, staleHere));
    }
    return new Plan(
        users,
        List.copyOf(absent.values()),
        request.action(),
        request.enqueueMarked(),
        request.timeout(),
        request.jobs(),
        request.dryRun());
  }
}
