// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {
  private static List<String> labels(Options o) {
    return o.ways().stream().map(Way::label).toList();
  }

  @Test
  void restartRacesOursUpstreamsCurrentWayAndTheOlderOne() {
    Options o = Options.parse(new String[] {""}); // Maven's one empty argument
    assertEquals(List.of("ours", "upstream", "older"), labels(o));
    assertEquals(List.of(1, 10, 40, 100), o.users());
    assertEquals(List.of(100), o.running());
    assertTrue(o.archive());
  }

  @Test
  void boundAddsTheWorksTwoHalvesAlone() {
    Options o = Options.parse(new String[] {"--bound", "--tool-args", "--jobs 4"});
    assertEquals(List.of("ours", "upstream", "older", "reexec-alone", "restart-alone"), labels(o));
    assertEquals(Way.Kind.REEXEC_ALONE, o.ways().get(3).kind());
    assertEquals(List.of("--no-reexec", "--jobs", "4"), o.ways().get(4).toolArgs());
  }

  @Test
  void onePackageRacesBothPoliciesAndUpstreamAtItsOwnUserCounts() {
    Options o = Options.parse(new String[] {"--case", "one-package"});
    assertEquals(List.of("needed", "always", "upstream"), labels(o));
    assertEquals(List.of(10, 40, 100, 200), o.users());
    assertEquals(List.of(100, 5), o.running());
    assertEquals(List.of("--reexec=needed"), o.ways().get(0).toolArgs());
  }

  @Test
  void aWaysArgumentsMayBeEmptyAndOnlyKeepsTheWaysNamed() {
    Options o = Options.parse(new String[] {"--case", "one-package", "--always-args", "", "--only", "always,upstream"});
    assertEquals(List.of("always", "upstream"), labels(o));
    assertEquals(List.of(), o.ways().get(0).toolArgs());
  }

  @Test
  void markingHasNoWaysToRaceAndItsOwnUserCounts() {
    Options o = Options.parse(new String[] {"--case", "marking"});
    assertEquals(List.of(), o.ways());
    assertEquals(List.of(1, 10, 40), o.users());
  }

  @Test
  void wrongValuesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--case", "fast"}));
    assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--running", "0"}));
    assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--users"}));
    assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--case", "marking", "--bound"}));
  }
}
