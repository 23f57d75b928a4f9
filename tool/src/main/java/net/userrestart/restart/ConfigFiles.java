// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.restart;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import net.userrestart.systemd.UnitName;

/**
 * Which files a user manager reads changed since it last read them, by their change times (the
 * newer of ctime and mtime: rpm gives an installed file the mtime it had in the package, but its
 * ctime is the time of the install). What is read is in docs/reexec-rule.md. One instance per
 * run: the directories every manager shares are read once, whichever user asks first.
 */
final class ConfigFiles {
  /* Files and directories every user manager reads besides its unit path, relative to the root. */
  static final List<String> SHARED =
      List.of(
          "etc/systemd/user.conf",
          "etc/systemd/user.conf.d",
          "run/systemd/user.conf.d",
          "usr/local/lib/systemd/user.conf.d",
          "usr/lib/systemd/user.conf.d",
          "etc/systemd/user-generators",
          "run/systemd/user-generators",
          "usr/local/lib/systemd/user-generators",
          "usr/lib/systemd/user-generators",
          "etc/systemd/user-environment-generators",
          "run/systemd/user-environment-generators",
          "usr/local/lib/systemd/user-environment-generators",
          "usr/lib/systemd/user-environment-generators",
          "etc/environment.d",
          "run/environment.d",
          "usr/local/lib/environment.d",
          "usr/lib/environment.d",
          "etc/systemd/user-preset",
          "run/systemd/user-preset",
          "usr/local/lib/systemd/user-preset",
          "usr/lib/systemd/user-preset");

  /* What a user's own configuration directory adds, relative to it ($XDG_CONFIG_HOME). */
  static final List<String> PER_HOME =
      List.of("systemd/user.conf", "systemd/user.conf.d", "environment.d");

  /*
   * Directories of the unit path that the manager writes itself: generators' output (rewritten on
   * every reload, just before units are loaded; the generators themselves are in SHARED),
   * transient units and systemctl set-property's. Their changes are its own.
   */
  private static final List<String> MANAGERS_OWN =
      List.of("/transient", "/generator", "/generator.early", "/generator.late", "/user.control");

  /*
   * Entries looked at per directory of the unit path, its subdirectories' included; one with more
   * is counted as changed. A user's manager names its own directories: this bounds what root
   * reads for it (about 4096 entries, 64 directories).
   */
  static final int MAX_ENTRIES = 4096;

  /* Subdirectories of a unit directory whose entries are configuration, by suffix. */
  private static final List<String> DEPENDENCY_DIRS = List.of(".wants", ".requires", ".upholds");

  private final Path root;
  private final Map<Path, Dir> dirs = new ConcurrentHashMap<>();

  /** @param root where absolute paths are looked up: {@code /}, or a test's tree */
  ConfigFiles(Path root) {
    this.root = root;
  }

  /**
   * What changed after {@code sinceMillis}.
   *
   * @param units the unit files and drop-in directories changed, by unit name (a template's own)
   * @param config other files changed that the manager reads (generators, user.conf, …), and
   *     directories that changed in a way that names no unit (an entry removed, too many entries)
   */
  record Changes(Set<String> units, List<String> config) {
    Changes {
      units = Set.copyOf(units);
      config = List.copyOf(config);
    }
  }

  /** Changes in {@code unitPath} (the manager's UnitPath), the shared files and {@code homes}. */
  Changes since(long sinceMillis, List<String> unitPath, List<String> homes) {
    Set<String> units = new TreeSet<>();
    List<String> config = new ArrayList<>();
    for (String dir : unitPath) {
      if (MANAGERS_OWN.stream().noneMatch(dir::endsWith)) {
        unitDir(dir, sinceMillis, units, config);
      }
    }
    List<String> other = new ArrayList<>(SHARED.stream().map(p -> "/" + p).toList());
    for (String home : homes) {
      PER_HOME.forEach(p -> other.add(home + "/" + p));
    }
    for (String path : other) {
      Dir d = dir(path);
      if (d.changedAfter(sinceMillis)) {
        config.add(path);
      }
    }
    return new Changes(units, config);
  }

  /* A unit directory: unit files, NAME.d drop-in dirs, .wants/.requires/.upholds dirs. */
  private void unitDir(String path, long since, Set<String> units, List<String> config) {
    Dir d = dir(path);
    if (!d.exists() || d.newest() <= since) {
      return; // newest() covers the directory itself and every entry below
    }
    boolean explained = false;
    for (Map.Entry<String, Entry> e : d.entries().entrySet()) {
      String name = e.getKey();
      Entry entry = e.getValue();
      if (entry.newest() <= since) {
        continue;
      }
      explained = true;
      String unit = name.endsWith(".d") ? name.substring(0, name.length() - 2) : name;
      boolean dependencies = DEPENDENCY_DIRS.stream().anyMatch(name::endsWith);
      if (!dependencies && UnitName.problem(unit) == null) {
        units.add(unit);
      } else {
        // .wants and the like, a type's or a prefix's drop-ins (service.d, foo-.service.d), others
        config.add(path + "/" + name);
      }
    }
    if (d.truncated() || (!explained && d.self() > since)) {
      config.add(path); // an entry went, or was renamed away: which unit, we cannot tell
    }
  }

  /*
   * Read outside the map's lock: a directory that is slow to read (a user's network or FUSE
   * mount) must not hold up another user's.
   */
  private Dir dir(String path) {
    Path key = Path.of(path);
    Dir d = dirs.get(key);
    if (d == null) {
      d = read(root.resolve(path.substring(1)));
      Dir other = dirs.putIfAbsent(key, d);
      d = other != null ? other : d;
    }
    return d;
  }

  /* A file or directory and, for a directory, its entries and theirs one level below. */
  private static Dir read(Path path) {
    long self = changed(path, LinkOption.NOFOLLOW_LINKS);
    if (self < 0) {
      self = changed(path); // a link to a directory: the manager follows it
    }
    if (self < 0) {
      return new Dir(false, 0, Map.of(), false);
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    int[] budget = {MAX_ENTRIES};
    boolean truncated = false;
    if (Files.isDirectory(path)) {
      try (DirectoryStream<Path> all = Files.newDirectoryStream(path)) {
        for (Path p : all) {
          if (--budget[0] < 0) {
            truncated = true;
            break;
          }
          entries.put(p.getFileName().toString(), entry(p, budget));
        }
      } catch (IOException | RuntimeException e) {
        truncated = true; // cannot tell: counted as changed
      }
    }
    return new Dir(true, self, entries, truncated || budget[0] < 0);
  }

  /* An entry: the link and what it points to (a unit linked in from elsewhere), and a drop-in or
   * dependency directory's own entries, each taken from the budget left. */
  private static Entry entry(Path p, int[] budget) {
    long newest = Math.max(changed(p, LinkOption.NOFOLLOW_LINKS), changed(p));
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> all = Files.newDirectoryStream(p)) {
        for (Path q : all) {
          if (--budget[0] < 0) {
            return new Entry(Long.MAX_VALUE);
          }
          newest = Math.max(newest, Math.max(changed(q, LinkOption.NOFOLLOW_LINKS), changed(q)));
        }
      } catch (IOException | RuntimeException e) {
        return new Entry(Long.MAX_VALUE);
      }
    }
    return new Entry(newest);
  }

  /* The newer of ctime and mtime in milliseconds, or -1 when there is no such file. */
  private static long changed(Path p, LinkOption... options) {
    try {
      Map<String, Object> a = Files.readAttributes(p, "unix:ctime,lastModifiedTime", options);
      return Math.max(millis(a.get("ctime")), millis(a.get("lastModifiedTime")));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long millis(Object time) {
    return time instanceof FileTime t ? t.toMillis() : -1;
  }

  /** One entry of a directory: when it, or anything in it, last changed. */
  private record Entry(long newest) {}

  /** A path as read: whether it exists, its own change time, and its entries' (a directory's). */
  private record Dir(boolean exists, long self, Map<String, Entry> entries, boolean truncated) {
    long newest() {
      long n = self;
      for (Entry e : entries.values()) {
        n = Math.max(n, e.newest());
      }
      return truncated ? Long.MAX_VALUE : n;
    }

    boolean changedAfter(long since) {
      return exists && newest() > since;
    }
  }
}
