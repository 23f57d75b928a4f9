// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogTest {
  private static String logged(Log.Level threshold, boolean journal) {
    StringWriter text = new StringWriter();
    Log log = new Log(new PrintWriter(text), threshold, journal, "");
    log.error("e");
    log.warning("w");
    log.notice("n");
    log.info("i");
    log.debug("d");
    return text.toString();
  }

  @Test
  void theThresholdDropsLessImportantLines() {
    assertEquals(String.join(System.lineSeparator(), "e", "w", "n", ""), logged(Log.Level.NOTICE, false));
    assertEquals(String.join(System.lineSeparator(), "e", "w", ""), logged(Log.Level.WARNING, false));
    assertEquals(5, logged(Log.Level.DEBUG, false).lines().count());
  }

  @Test
  void underTheJournalEachLineCarriesItsSyslogPriority() {
    assertEquals(
        String.join(System.lineSeparator(), "<3>e", "<4>w", "<5>n", "<6>i", "<7>d", ""),
        logged(Log.Level.DEBUG, true));
  }

  @Test
  void silentLogsNothing() {
    Log.silent().error("nothing");
    assertEquals(false, Log.silent().enabled(Log.Level.WARNING));
  }

  @Test
  void noMessageCanForgeALineOrAPriority() {
    StringWriter text = new StringWriter();
    Log log = new Log(new PrintWriter(text), Log.Level.DEBUG, true, "");
    log.warning("user x: \r\n<0>forged\u001b[2J\u0007\u009b31m\u0085\u2028end");
    List<String> lines = text.toString().lines().toList();
    assertEquals(1, lines.size(), text.toString());
    assertEquals("<4>user x: \\x0d\\x0a<0>forged\\x1b[2J\\x07\\x9b31m\\x85\\u2028end", lines.get(0));
  }

  @Test
  void aLineIsCutAtItsLimitSayingHowMuchWasCut() {
    StringWriter text = new StringWriter();
    new Log(new PrintWriter(text), Log.Level.DEBUG, false, "").error("x".repeat(100_000));
    String line = text.toString().lines().findFirst().orElseThrow();
    assertEquals("x".repeat(Log.MAX_LINE) + "…(+" + (100_000 - Log.MAX_LINE) + ")", line);
  }
}
