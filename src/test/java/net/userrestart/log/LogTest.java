// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
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
}
