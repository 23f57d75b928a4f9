// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarkStoreException;
import net.userrestart.systemd.Host;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Marks user units for the next run. */
@Command(
    name = "mark",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Mark user units to be try-restarted (or, with --reload, reload-or-try-restarted) in every"
          + " user manager by the next run of systemd-user-restart, normally at the end of the rpm"
          + " transaction.",
      "",
      "Package scriptlets do not need this command (it starts a JVM): the rpm macros write the"
          + " same empty file, /run/systemd-user-restart/restart/UNIT, with a shell redirection."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:The units are marked.",
      "2:Invalid unit name or user; nothing was marked.",
      "5:The mark store cannot be written."
    })
final class MarkCommand implements Callable<Integer> {
  private final Context context;

  @Option(names = "--reload", description = "Mark for reload-or-try-restart instead of try-restart.")
  boolean reload;

  @Option(
      names = {"-u", "--user"},
      paramLabel = "NAME|UID",
      description = "Mark for this user's manager only.")
  String user;

  @Parameters(paramLabel = "UNIT", arity = "1..*", description = "User units, e.g. app.service.")
  List<String> units;

  MarkCommand(Context context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    Users.checkUnits(units);
    Host host = context.host();
    OptionalInt uid = OptionalInt.empty();
    if (user != null) {
      uid = OptionalInt.of(Users.resolve(host, List.of(user)).get(0).uid());
    }
    Mark.Kind kind = reload ? Mark.Kind.RELOAD : Mark.Kind.RESTART;
    try {
      for (String unit : units) {
        context.marks().mark(new Mark(kind, unit), uid);
      }
    } catch (MarkStoreException e) {
      throw Steps.storeError(e);
    }
    return ExitCodes.OK;
  }
}
