// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnitNameTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "foo.service",
        "foo\\x2dbar.service",
        "app@instance.service",
        "app@.service",
        "app@home-user-x2d1.service",
        "-.slice",
        "dbus-:1.2-org.example@0.service",
        "app@instance.with.dots.service",
        "A_B:c-d.service"
      })
  void acceptsValidNames(String name) {
    assertNull(UnitName.problem(name), name);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path",
        "slice", "scope"
      })
  void acceptsEveryUnitType(String type) {
    assertNull(UnitName.problem("x." + type));
    assertNull(UnitName.problem("x@." + type));
    assertNull(UnitName.problem("x@i." + type));
  }

  @Test
  void acceptsTheLongestName() {
    String name = "a".repeat(UnitName.MAX_LENGTH - ".service".length()) + ".service";
    assertEquals(255, name.length());
    assertNull(UnitName.problem(name));
  }

  @Test
  void rejectsALongerName() {
    String name = "a".repeat(256 - ".service".length()) + ".service";
    assertEquals(256, name.length());
    assertTrue(UnitName.problem(name).contains("longer than 255"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../x",
        "../x.service",
        "x/y.service",
        "foo",
        "foo.txt",
        "foo.SERVICE",
        "foo.",
        ".service",
        "@x.service",
        "@.service",
        "a@b@c.service",
        "a@@.service",
        "foo bar.service",
        " foo.service",
        "foo.service ",
        "foo\tbar.service",
        "foo\nbar.service",
        "foo\u0000.service",
        "foo\u007f.service",
        "foo\u00e9.service",
        "foo*.service",
        "foo?.service",
        "foo[1].service",
        "$(rm).service",
        "foo;bar.service",
        "foo'.service",
        "foo\".service"
      })
  void rejectsInvalidNames(String name) {
    String problem = UnitName.problem(name);
    assertNotNull(problem, name);
    assertFalse(problem.isEmpty());
  }

  @Test
  void rejectsEmptyAndNull() {
    assertEquals("empty unit name", UnitName.problem(""));
    assertEquals("empty unit name", UnitName.problem(null));
  }

  @Test
  void namesControlCharactersPrintably() {
    String problem = UnitName.problem("foo\nbar.service");
    assertTrue(problem.contains("\\x0a"), problem);
    assertFalse(problem.contains("\n"), problem);
    assertTrue(UnitName.problem("foo\u007f.service").contains("\\x7f"));
    assertTrue(UnitName.problem("../x").contains("'/'"));
  }

  @Test
  void explainsEachKindOfProblem() {
    assertTrue(UnitName.problem("foo").contains("no type suffix"));
    assertTrue(UnitName.problem("foo.txt").contains("unknown unit type .txt"));
    assertTrue(UnitName.problem("@x.service").contains("starts with @"));
    assertTrue(UnitName.problem("a@b@c.service").contains("more than one @"));
    assertTrue(UnitName.problem("a b.service").contains("' '"));
  }

  @Test
  void tellsTemplatesFromInstancesAndPlainUnits() {
    assertTrue(UnitName.isTemplate("app@.service"));
    assertTrue(UnitName.isTemplate("foo\\x2dbar@.timer"));
    assertFalse(UnitName.isTemplate("app@instance.service"));
    assertFalse(UnitName.isTemplate("app.service"));
  }

  /* systemd's unit_name_is_valid() finds the template's "@" right before the type's dot; an
   * instance may itself start with a dot, as in "foo@.bar.service" (instance ".bar"). */
  @Test
  void anInstanceStartingWithADotIsNotATemplate() {
    assertNull(UnitName.problem("foo@.bar.service"));
    assertFalse(UnitName.isTemplate("foo@.bar.service"));
  }

  @Test
  void instancePatternMatchesEveryInstanceOnly() {
    assertEquals("app@*.service", UnitName.instancePattern("app@.service"));
    assertEquals("app@*.timer", UnitName.instancePattern("app@.timer"));
  }

  @Test
  void instancePatternEscapesBackslashesForFnmatch() {
    String pattern = UnitName.instancePattern("foo\\x2dbar@.service");
    assertEquals("foo\\\\x2dbar@*.service", pattern);
    // fnmatch(3) semantics without FNM_NOESCAPE: "\\" matches one backslash, "*" anything.
    Pattern glob = fnmatch(pattern);
    assertTrue(glob.matcher("foo\\x2dbar@one.service").matches());
    assertTrue(glob.matcher("foo\\x2dbar@.service").matches());
    assertFalse(glob.matcher("foox2dbar@one.service").matches());
    assertFalse(glob.matcher("foo\\x2dbar@one.socket").matches());
    assertFalse(glob.matcher("other@one.service").matches());
  }

  @Test
  void unescapedPatternWouldNotMatchTheRealName() {
    // Why the escaping matters: without it "\x2d" would mean a literal "x2d".
    Pattern naive = fnmatch("foo\\x2dbar@*.service");
    assertFalse(naive.matcher("foo\\x2dbar@one.service").matches());
    assertTrue(naive.matcher("foox2dbar@one.service").matches());
  }

  /** A glob of fnmatch(3) with only "*" and backslash escapes, as a regular expression. */
  static Pattern fnmatch(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '\\' && i + 1 < glob.length()) {
        re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
      } else if (c == '*') {
        re.append(".*");
      } else if (c == '?') {
        re.append('.');
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  @Test
  void instancesBelongToTheirTemplateOnly() {
    assertTrue(UnitName.isInstanceOf("app@x.service", "app@.service"));
    assertTrue(UnitName.isInstanceOf("app@a\\x2db.service", "app@.service"));
    assertFalse(UnitName.isInstanceOf("app@.service", "app@.service"));
    assertFalse(UnitName.isInstanceOf("app@x.socket", "app@.service"));
    assertFalse(UnitName.isInstanceOf("myapp@x.service", "app@.service"));
    assertFalse(UnitName.isInstanceOf("app.service", "app.service"));
  }

  @Test
  void aUnitIsAmongNamesItselfOrThroughItsTemplate() {
    List<String> asked = List.of("app.service", "tpl@.service");
    assertTrue(UnitName.isAmong("app.service", asked));
    assertTrue(UnitName.isAmong("tpl@x.service", asked));
    assertFalse(UnitName.isAmong("other.service", asked));
    assertFalse(UnitName.isAmong("app@x.service", asked));
  }
}
