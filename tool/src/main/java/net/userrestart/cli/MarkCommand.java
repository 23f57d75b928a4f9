// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import net.userrestart.marks.Mark;
import net.userrestart.marks.MarkStoreException;
import net.userrestart.restart.UserTarget;
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
          + " user manager (or, with --user, in those users') by the next run of"
          + " systemd-user-restart, normally at the end of the rpm transaction.",
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
      description = "Mark for this user's manager only; may be repeated, as for the main command.")
  List<String> users = new ArrayList<>();

  @Parameters(paramLabel = "UNIT", arity = "1..*", description = "User units, e.g. app.service.")
  List<String> units;

  MarkCommand(Context context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    Users.checkUnits(units);
    List<OptionalInt> owners = new ArrayList<>();
    if (users.isEmpty()) {
      owners.add(OptionalInt.empty()); // every user
    }
    for (UserTarget user : Users.resolve(context.host(), users)) {
      owners.add(OptionalInt.of(user.uid()));
    }
    Mark.Kind kind = reload ? Mark.Kind.RELOAD : Mark.Kind.RESTART;
    try {
      for (OptionalInt owner : owners) {
        for (String unit : units) {
          context.marks().mark(new Mark(kind, unit), owner);
        }
      }
    } catch (MarkStoreException e) {
      throw new ExitException(e.busy() ? ExitCodes.BUSY : ExitCodes.STORE, e.getMessage());
    }
    return ExitCodes.OK;
  }
}
