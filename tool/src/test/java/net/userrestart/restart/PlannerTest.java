// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.userrestart.marks.Mark;
import net.userrestart.marks.Mark.Kind;
import org.junit.jupiter.api.Test;

class PlannerTest {
  static final Map<Integer, Set<Mark>> MARKS =
      Map.of(
          1000, Set.of(new Mark(Kind.RESTART, "a.service")),
          1001, Set.of(new Mark(Kind.RELOAD, "b.service"), new Mark(Kind.RESTART, "c.service")));

  /** Active managers, deliberately not in UID order. */
  static Map<Integer, String> active() {
    Map<Integer, String> active = new LinkedHashMap<>();
    active.put(1002, "guest");
    active.put(1000, "dev");
    active.put(1001, "ops");
    return active;
  }

  static Request request(Optional<List<UserTarget>> users, List<String> units) {
    return new Request(users, units, ManagerAction.REEXECUTE, true, Duration.ofSeconds(7), 3, false, false);
  }

  static UserTarget asked(int uid, String name) {
    return new UserTarget(uid, name, Set.of());
  }

  static Plan plan(Request request) {
    return Planner.plan(request, active(), uid -> MARKS.getOrDefault(uid, Set.of()));
  }

  @Test
  void allUsersInUidOrderWithTheirMarks() {
    Plan plan = plan(request(Optional.empty(), List.of()));
    assertEquals(List.of(1000, 1001, 1002), plan.users().stream().map(UserTarget::uid).toList());
    assertEquals(List.of("dev", "ops", "guest"), plan.users().stream().map(UserTarget::name).toList());
    assertEquals(MARKS.get(1000), plan.users().get(0).marks());
    assertEquals(MARKS.get(1001), plan.users().get(1).marks());
    assertEquals(Set.of(), plan.users().get(2).marks());
    assertEquals(List.of(), plan.absent());
  }

  @Test
  void staleUnitsJoinOnlyWhenAskedForAndOnlyForTheUsersChosen() {
    Map<Integer, Set<String>> stale = Map.of(1000, Set.of("pw.service"), 1005, Set.of("x.service"));
    Request request = request(Optional.of(List.of(asked(1000, "dev"))), List.of());
    Plan without = Planner.plan(request, active(), uid -> MARKS.getOrDefault(uid, Set.of()), stale);
    assertEquals(Set.of(), without.users().get(0).stale());
    Plan with =
        Planner.plan(request.withStale(true), active(), uid -> MARKS.getOrDefault(uid, Set.of()), stale);
    assertEquals(List.of(1000), with.users().stream().map(UserTarget::uid).toList());
    assertEquals(Set.of("pw.service"), with.users().get(0).stale());
    assertEquals(MARKS.get(1000), with.users().get(0).marks(), "the marks stay as they are");
  }

  @Test
  void copiesTheRequestsSettings() {
    Request request =
        new Request(Optional.empty(), List.of(), ManagerAction.RELOAD, false, Duration.ofMillis(1500), 5, true, false);
    Plan plan = Planner.plan(request, active(), uid -> Set.of());
    assertEquals(ManagerAction.RELOAD, plan.action());
    assertEquals(false, plan.enqueueMarked());
    assertEquals(Duration.ofMillis(1500), plan.timeout());
    assertEquals(5, plan.jobs());
    assertEquals(true, plan.dryRun());
  }

  @Test
  void selectedUsersOnlySortedByUid() {
    Plan plan =
        plan(request(Optional.of(List.of(asked(1002, "guest"), asked(1000, "dev"))), List.of()));
    assertEquals(List.of(1000, 1002), plan.users().stream().map(UserTarget::uid).toList());
    assertEquals(List.of(), plan.absent());
  }

  @Test
  void askedUsersWithoutAnActiveManagerAreAbsentOnceInTheOrderAsked() {
    Plan plan =
        plan(
            request(
                Optional.of(
                    List.of(
                        asked(2001, "build"), asked(1000, "dev"), asked(2000, "qa"),
                        asked(2001, "build"), asked(1000, "dev"))),
                List.of()));
    assertEquals(List.of(1000), plan.users().stream().map(UserTarget::uid).toList());
    assertEquals(List.of(2001, 2000), plan.absent().stream().map(UserTarget::uid).toList());
    assertEquals("build", plan.absent().get(0).name());
  }

  @Test
  void noActiveManagersMakesAnEmptyPlan() {
    Plan plan = Planner.plan(request(Optional.empty(), List.of("x.service")), Map.of(), uid -> Set.of());
    assertTrue(plan.users().isEmpty());
    assertTrue(plan.absent().isEmpty());
  }

  @Test
  void commandLineUnitsAreMergedIntoEveryChosenUsersMarks() {
    Plan plan = plan(request(Optional.empty(), List.of("a.service", "b.service", "d.service")));
    assertEquals(
        Set.of(
            new Mark(Kind.RESTART, "a.service"),
            new Mark(Kind.RESTART, "b.service"),
            new Mark(Kind.RESTART, "d.service")),
        plan.users().get(0).marks());
    // A reload mark and a command-line restart of the same unit are both kept.
    assertEquals(
        Set.of(
            new Mark(Kind.RELOAD, "b.service"),
            new Mark(Kind.RESTART, "b.service"),
            new Mark(Kind.RESTART, "a.service"),
            new Mark(Kind.RESTART, "c.service"),
            new Mark(Kind.RESTART, "d.service")),
        plan.users().get(1).marks());
    assertEquals(3, plan.users().get(2).marks().size());
  }

  @Test
  void marksAreAskedForChosenUsersOnly() {
    List<Integer> asked = new java.util.ArrayList<>();
    Planner.plan(
        request(Optional.of(List.of(asked(1001, "ops"), asked(3000, "x"))), List.of()),
        active(),
        uid -> {
          asked.add(uid);
          return Set.of();
        });
    assertEquals(List.of(1001), asked);
  }
}
