// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrialTest {
  @Test
  void fedorasRpmInstallsWithoutDependenciesAndWithoutRequiringASignature() {
    assertEquals(
        List.of("--nodeps", "--nosignature"),
        Trial.installOptions("Usage: rpm [OPTION...]\n      --nosignature      don't verify package signature(s)\n"));
  }

  @Test
  void debiansRpmAlsoGetsToldTheInstallIsDeliberate() {
    assertEquals(
        List.of("--nodeps", "--nosignature", "--force-debian"),
        Trial.installOptions("      --force-debian     force installation of rpm on Debian system\n"));
  }
}
