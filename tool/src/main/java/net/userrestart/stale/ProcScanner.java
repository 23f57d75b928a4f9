// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.userrestart.proc.MapsReader;
import net.userrestart.proc.ReplacedPath;
import net.userrestart.systemd.Uids;

/**
 * Finds the user units whose processes map replaced files, from a /proc tree: each process's
 * cgroup says which user manager and unit it belongs to; its exe and maps say what it runs.
 *
 * <p>Processes come and go while they are read. Each one's cgroup is read before and after its
 * files: a process that exited, or whose PID was reused by a process elsewhere, is left out, so
 * that nothing is attributed to a unit it did not run in.
 *
 * <p>The manager itself is the PID that PID 1 gives as user@UID.service's main PID, when it runs
 * in that manager's init.scope; other processes there belong to no unit that can be restarted.
 */
public final class ProcScanner {
  private final Path proc;
  private final Limits limits;

  /** @param proc the /proc to read ({@code /proc}, or a tree made by a test) */
  public ProcScanner(Path proc, Limits limits) {
    this.proc = proc;
    this.limits = limits;
  }

  /**
   * Scans the user managers of {@code managers}: UID to the manager's PID (0 when unknown).
   *
   * @throws IOException when /proc cannot be listed
   */
  public Scan scan(Map<Integer, Long> managers) throws IOException {
    Map<Key, Unit> units = new LinkedHashMap<>();
    MapsReader maps = new MapsReader(limits.mapsLineBytes(), limits.mapsBytes());
    int processes = 0;
    int vanished = 0;
    int truncated = 0;
    for (long pid : pids()) {
      String cgroup = read(pid, "cgroup");
      var placement = cgroup == null ? null : Placement.parse(cgroup, managers.keySet()).orElse(null);
      if (placement == null) {
        continue;
      }
      boolean manager =
          placement.inManagerScope() && managers.getOrDefault(placement.uid(), 0L) == pid;
      if (placement.inManagerScope() && !manager) {
        continue;
      }
      processes++;
      Set<String> files = new LinkedHashSet<>();
      MapsReader.Read read = filesOf(pid, maps, files);
      if (read == null || !cgroup.equals(read(pid, "cgroup"))) {
        vanished++;
        continue;
      }
      truncated += read == MapsReader.Read.TRUNCATED ? 1 : 0;
      Key key =
          manager
              ? new Key(placement.uid(), "user@" + placement.uid() + ".service", Remedy.REEXEC)
              : new Key(placement.uid(), placement.unit(), Remedy.RESTART);
      units.computeIfAbsent(key, k -> new Unit()).add(pid, cgroup, files, limits);
    }
    return result(units, managers, processes, vanished, truncated);
  }

  private Scan result(
      Map<Key, Unit> units, Map<Integer, Long> managers, int processes, int vanished, int truncated) {
    List<Key> stale = new ArrayList<>();
    units.forEach((k, u) -> {
      if (u.staleProcesses > 0) {
        stale.add(k);
      }
    });
    stale.sort(
        Comparator.comparingInt(Key::uid)
            .thenComparing(Key::remedy, Comparator.reverseOrder())
            .thenComparing(Key::unit));
    List<Found> found = new ArrayList<>();
    Map<Integer, Integer> perUser = new HashMap<>();
    int omitted = 0;
    for (Key k : stale) {
      if (perUser.merge(k.uid(), 1, Integer::sum) > limits.unitsPerUser()) {
        omitted++;
        continue;
      }
      Unit u = units.get(k);
      long manager = managers.getOrDefault(k.uid(), 0L);
      long main = k.remedy() == Remedy.REEXEC ? manager : mainPid(u, manager);
      List<String> kept = u.files.stream().limit(limits.filesKept()).toList();
      found.add(new Found(k.uid(), k.unit(), k.remedy(), main, u.staleProcesses, kept, u.files.size()));
    }
    return new Scan(found, processes, vanished, truncated, omitted);
  }

  /*
   * The main PID from /proc, not from the manager: no connection to each manager is needed, and
   * the answer is the same for the services that matter here. systemd forks a service's main
   * process, and as the subreaper of its units also adopts a forking service's daemon, so the
   * main process is a child of the manager; of those, the oldest (a service's other children of
   * the manager are started later, by ExecReload= and the like). A scope's processes are
   * children of whoever started them: then the oldest process.
   */
  private long mainPid(Unit unit, long manager) {
    long best = 0;
    long bestStart = Long.MAX_VALUE;
    boolean bestChild = false;
    for (Map.Entry<Long, String> e : unit.cgroups.entrySet()) {
      long pid = e.getKey();
      long[] stat = stat(pid);
      if (stat == null || !e.getValue().equals(read(pid, "cgroup"))) {
        continue; // gone, or no longer in this unit
      }
      boolean child = manager > 0 && stat[0] == manager;
      if ((child && !bestChild) || (child == bestChild && stat[1] < bestStart)) {
        best = pid;
        bestStart = stat[1];
        bestChild = child;
      }
    }
    return best;
  }

  /** The PIDs in /proc, in ascending order: a report that does not change from run to run. */
  private List<Long> pids() throws IOException {
    String[] names = new File(proc.toString()).list();
    if (names == null) {
      throw new IOException("cannot list " + proc);
    }
    List<Long> pids = new ArrayList<>(names.length);
    for (String name : names) {
      if (Uids.isDigits(name) && name.length() <= 10) {
        pids.add(Long.parseLong(name));
      }
    }
    pids.sort(null);
    return pids;
  }

  /* The replaced files of exe and maps; null when the process is gone. */
  private MapsReader.Read filesOf(long pid, MapsReader maps, Set<String> files) {
    Path dir = proc.resolve(Long.toString(pid));
    try {
      String exe = ReplacedPath.of(Files.readSymbolicLink(dir.resolve("exe")).toString());
      if (exe != null) {
        files.add(exe);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // A zombie or a kernel thread has no exe; whether the process is gone, maps tells.
    }
    try {
      return maps.read(dir.resolve("maps"), files::add);
    } catch (IOException e) {
      return null;
    }
  }

  /* PPid and start time (field 4 and 22 of /proc/PID/stat), or null. */
  private long[] stat(long pid) {
    String stat = read(pid, "stat");
    int close = stat == null ? -1 : stat.lastIndexOf(')');
    if (close < 0) {
      return null;
    }
    String[] f = stat.substring(close + 1).strip().split(" ");
    if (f.length < 20 || !Uids.isDigits(f[1]) || !Uids.isDigits(f[19])) {
      return null;
    }
    try {
      return new long[] {Long.parseLong(f[1]), Long.parseLong(f[19])};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /* A small /proc file, or null when it is gone, unreadable or longer than the bound. */
  private String read(long pid, String name) {
    // FileInputStream rather than Files.newInputStream: a scan opens thousands of small files;
    // a cold scan of 1000 processes took a third less CPU with it (300 to 190 ms, measured).
    String file = proc + "/" + pid + "/" + name;
    try (InputStream in = new FileInputStream(file)) {
      byte[] bytes = in.readNBytes(limits.cgroupBytes() + 1);
      if (bytes.length > limits.cgroupBytes()) {
        return null;
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
  }

  /*
   * equals and hashCode written out: a record's generated ones are linked at their first call,
   * which costs a run about 15 ms (see Mark).
   */
  private record Key(int uid, String unit, Remedy remedy) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && uid == k.uid && remedy == k.remedy && unit.equals(k.unit);
    }

    @Override
    public int hashCode() {
      return (31 * uid + unit.hashCode()) * 31 + remedy.ordinal();
    }
  }

  /** The processes of one unit seen so far, and the replaced files they map. */
  private static final class Unit {
    final Map<Long, String> cgroups = new LinkedHashMap<>();
    final Set<String> files = new LinkedHashSet<>();
    int staleProcesses;

    void add(long pid, String cgroup, Set<String> replaced, Limits limits) {
      if (cgroups.size() < limits.pidsKept()) {
        cgroups.put(pid, cgroup);
      }
      if (!replaced.isEmpty()) {
        staleProcesses++;
      }
      for (String f : replaced) {
        if (files.size() >= limits.filesCounted()) {
          break;
        }
        files.add(f);
      }
    }
  }
}
