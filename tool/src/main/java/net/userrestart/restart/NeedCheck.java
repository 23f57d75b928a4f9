// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.userrestart.proc.ReplacedCode;
import net.userrestart.systemd.SystemdException;
import net.userrestart.systemd.UserManager;
import net.userrestart.systemd.UserManager.LoadState;

/**
 * Decides what a user manager needs (--reexec=needed), by the rule in docs/reexec-rule.md: a
 * re-exec where it maps replaced code; a reload where a file it has read changed since it last
 * loaded units; else nothing. Where a check cannot tell, the answer errs towards more work: a
 * re-exec where the manager's code cannot be read, a reload where its files cannot be judged.
 */
public final class NeedCheck {
  /**
   * How much earlier than the manager's load time a change still counts: generators run, and
   * user.conf is read, shortly before units are loaded; file times have coarse clocks.
   */
  static final long MARGIN_MILLIS = 250;

  private final ReplacedCode code;
  private final ConfigFiles files;
  private final Map<Integer, Long> pids;

  /**
   * @param proc the /proc to read the managers' maps from
   * @param root where the managers' files are looked up ({@code /})
   * @param pids each user manager's PID, as PID 1 gives it (0 or absent: unknown)
   */
  public NeedCheck(Path proc, Path root, Map<Integer, Long> pids) {
    this.code = new ReplacedCode(proc);
    this.files = new ConfigFiles(root);
    this.pids = Map.copyOf(pids);
  }

  /** What user {@code uid}'s manager, reached on {@code manager}, needs. Never throws. */
  public ManagerNeed decide(int uid, UserManager manager) {
    long pid = pids.getOrDefault(uid, 0L);
    Optional<Set<String>> replaced = code.of(pid);
    if (replaced.isEmpty()) {
      return ManagerNeed.reexec("cannot read what the manager runs (pid " + pid + ")");
    }
    if (!replaced.get().isEmpty()) {
      return ManagerNeed.reexec("manager maps replaced " + first(replaced.get()));
    }
    LoadState state;
    try {
      state = manager.loadState();
    } catch (SystemdException e) {
      return ManagerNeed.reload("cannot tell when the manager loaded its units: " + e.getMessage());
    }
    ConfigFiles.Changes changes =
        files.since(
            state.loadedMicros() / 1000 - MARGIN_MILLIS, state.unitPath(), homes(state.unitPath()));
    if (!changes.config().isEmpty()) {
      return ManagerNeed.reload("changed on disk: " + first(changes.config()) + more(changes.config()));
    }
    if (changes.units().isEmpty()) {
      return ManagerNeed.NONE_NEEDED;
    }
    Set<String> loaded;
    try {
      loaded = manager.loaded(changes.units());
    } catch (SystemdException e) {
      return ManagerNeed.reload("cannot tell which changed units are loaded: " + e.getMessage());
    }
    if (loaded.isEmpty()) {
      return ManagerNeed.NONE_NEEDED;
    }
    return ManagerNeed.reload(
        loaded.size()
            + (loaded.size() == 1 ? " loaded unit" : " loaded units")
            + " changed on disk: "
            + first(loaded)
            + more(loaded));
  }

  /*
   * The user's configuration directories ($XDG_CONFIG_HOME, and the runtime one), from the unit
   * path: those whose systemd/user has a user.control beside it, which only they have.
   */
  static List<String> homes(List<String> unitPath) {
    List<String> homes = new ArrayList<>();
    for (String p : unitPath) {
      if (p.endsWith("/systemd/user") && unitPath.contains(p + ".control")) {
        homes.add(p.substring(0, p.length() - "/systemd/user".length()));
      }
    }
    return homes;
  }

  private static String first(Iterable<String> all) {
    return all.iterator().next();
  }

  private static String more(Collection<String> all) {
    return all.size() > 1 ? " and " + (all.size() - 1) + " more" : "";
  }
}
