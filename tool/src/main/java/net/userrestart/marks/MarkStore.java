// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.marks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.userrestart.systemd.Uids;
import net.userrestart.systemd.UnitName;

/**
 * Marks on disk, one empty file per unit, so that a package scriptlet can write one with a shell
 * redirection and no JVM. See README.md, "Mark store", for the layout.
 *
 * <p>A run claims a mark by renaming it into a {@code .claimed} folder before acting on it, so a
 * mark written meanwhile (a new file under the old name) is left for the next run. What a run
 * leaves claimed, because it died, counts as pending and is claimed again by the next one.
 */
public final class MarkStore {
  /** Where rpm scriptlets and the tool agree to keep marks. */
  public static final Path DEFAULT_ROOT = Path.of("/run/systemd-user-restart");

  private static final String CLAIMED = ".claimed";
  private static final String USERS = "user";

  private final Path root;

  public MarkStore(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** Records a mark for every user manager, or for one user's only. */
  public void mark(Mark mark, OptionalInt uid) throws MarkStoreException {
    String problem = UnitName.problem(mark.unit());
    if (problem != null) {
      throw new MarkStoreException(mark.unit() + ": " + problem, false);
    }
    Path dir = uid.isPresent() ? userDir(uid.getAsInt()) : root;
    Path file = dir.resolve(mark.kind().folder()).resolve(mark.unit());
    try {
      Files.createDirectories(file.getParent());
      Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
    } catch (IOException e) {
      throw new MarkStoreException("cannot write mark " + file + ": " + e, false);
    }
  }

  /**
   * Everything pending, without claiming anything: for {@code list} and {@code --dry-run}. Marks a
   * dead run left claimed count: the next run takes them back.
   */
  public Pending read() throws MarkStoreException {
    List<String> invalid = new ArrayList<>();
    Set<Mark> global = scan(root, invalid);
    global.addAll(scan(root.resolve(CLAIMED), invalid));
    Map<Integer, Set<Mark>> perUser = new TreeMap<>();
    for (int uid : userIds(invalid)) {
      Set<Mark> marks = scan(userDir(uid), invalid);
      marks.addAll(scan(userDir(uid).resolve(CLAIMED), invalid));
      if (!marks.isEmpty()) {
        perUser.put(uid, marks);
      }
    }
    return new Pending(global, perUser, invalid);
  }

  /**
   * Takes the store's lock. Two runs at once would both act on the same marks; the second one is
   * told who holds the lock instead.
   */
  public Lock lock() throws MarkStoreException {
    return Lock.take(root);
  }

  /**
   * Claims what one run acts on: the marks for every user and the own marks of each chosen user
   * in {@code kept}, by renaming them into {@code .claimed} folders; a dead run's claims are
   * claimed again. {@code kept}: users with an active manager, or one still starting (it may have
   * read the old files: it keeps every mark, for the next run). Other users' folders are dropped:
   * their manager is gone, and will start on the new files. Needs the lock.
   *
   * <p>Marks for every user are not copied per user here but only at the end, for the users that
   * still need them (see {@link Claim#settle}): this step, which comes before any manager is
   * reached, costs the same for a thousand users as for one.
   */
  public Claim claim(Lock lock, Collection<Integer> kept, Collection<Integer> chosen)
      throws MarkStoreException {
    lock.check();
    List<String> invalid = new ArrayList<>();
    Set<Integer> keptUids = new TreeSet<>(kept);
    Map<Integer, Set<Mark>> own = new TreeMap<>();
    try {
      Set<Integer> folders = new TreeSet<>(userIds(invalid));
      for (int uid : folders) {
        if (!keptUids.contains(uid)) {
          deleteTree(userDir(uid));
        }
      }
      Set<Mark> global = claimIn(root, invalid);
      for (int uid : chosen) {
        if (keptUids.contains(uid) && folders.contains(uid)) {
          Set<Mark> marks = claimIn(userDir(uid), invalid);
          if (!marks.isEmpty()) {
            own.put(uid, marks);
          }
        }
      }
      return new Claim(global, own, keptUids, invalid);
    } catch (IOException e) {
      throw new MarkStoreException("cannot claim marks in " + root + ": " + e, false);
    }
  }

  /* Renames the marks in dir into dir/.claimed; returns all that is claimed there now. */
  private static Set<Mark> claimIn(Path dir, List<String> invalid)
      throws IOException, MarkStoreException {
    Path claimed = dir.resolve(CLAIMED);
    for (Mark mark : scan(dir, invalid)) {
      Path to = fileOf(claimed, mark);
      Files.createDirectories(to.getParent());
      Files.move(fileOf(dir, mark), to, StandardCopyOption.REPLACE_EXISTING);
    }
    return scan(claimed, invalid);
  }

  /**
   * The marks one run took. Settle each user once its outcome is known, then {@link #finish()}.
   * Not thread-safe: one thread settles.
   */
  public final class Claim implements MarksByUser {
    private final Set<Mark> global;
    private final Map<Integer, Set<Mark>> own;
    /* Kept users that have not been given back what they still need. */
    private final Set<Integer> unsettled;
    private final List<String> invalid;

    private Claim(
        Set<Mark> global, Map<Integer, Set<Mark>> own, Set<Integer> kept, List<String> invalid) {
      this.global = Set.copyOf(global);
      this.own = Map.copyOf(own);
      this.unsettled = new TreeSet<>(kept);
      this.invalid = List.copyOf(invalid);
    }

    /** The marks for {@code uid}: every user's and its own. */
    @Override
    public Set<Mark> marks(int uid) {
      return union(global, own, uid);
    }

    /** What the store held that is not a mark, for a warning. */
    public List<String> invalid() {
      return invalid;
    }

    /**
     * Forgets what {@code uid}'s run {@code done}; every other mark of the user waits for the next
     * run, as a mark of its own. Users whose marks are not kept are ignored.
     */
    public void settle(int uid, Set<Mark> done) throws MarkStoreException {
      if (!unsettled.contains(uid)) {
        return;
      }
      Path dir = userDir(uid);
      try {
        for (Mark mark : own.getOrDefault(uid, Set.of())) {
          if (!done.contains(mark)) {
            putBack(dir, mark);
          }
          Files.deleteIfExists(fileOf(dir.resolve(CLAIMED), mark));
        }
        for (Mark mark : global) {
          if (!done.contains(mark)) {
            putBack(dir, mark);
          }
        }
      } catch (IOException e) {
        throw new MarkStoreException("cannot settle marks in " + dir + ": " + e, false);
      }
      unsettled.remove(uid);
    }

    /**
     * Ends the run: each kept user not settled (not chosen, still starting, or without an outcome)
     * keeps every mark, and the claimed marks for every user are forgotten.
     */
    public void finish() throws MarkStoreException {
      for (int uid : List.copyOf(unsettled)) {
        settle(uid, Set.of());
      }
      try {
        for (Mark mark : global) {
          Files.deleteIfExists(fileOf(root.resolve(CLAIMED), mark));
        }
      } catch (IOException e) {
        throw new MarkStoreException("cannot settle marks in " + root + ": " + e, false);
      }
    }
  }

  /* The marks for every user and those of {@code uid}, in name order. */
  private static Set<Mark> union(Set<Mark> global, Map<Integer, Set<Mark>> perUser, int uid) {
    Set<Mark> marks = new TreeSet<>(global);
    marks.addAll(perUser.getOrDefault(uid, Set.of()));
    return marks;
  }

  private static void putBack(Path dir, Mark mark) throws IOException {
    Path file = fileOf(dir, mark);
    Files.createDirectories(file.getParent());
    touch(file);
  }

  /** What {@link #read()} found, in name and UID order. */
  public record Pending(Set<Mark> global, Map<Integer, Set<Mark>> perUser, List<String> invalid)
      implements MarksByUser {
    public Pending {
      global = Collections.unmodifiableSortedSet(new TreeSet<>(global));
      TreeMap<Integer, Set<Mark>> sorted = new TreeMap<>();
      for (Map.Entry<Integer, Set<Mark>> e : perUser.entrySet()) {
        sorted.put(e.getKey(), Collections.unmodifiableSortedSet(new TreeSet<>(e.getValue())));
      }
      perUser = Collections.unmodifiableSortedMap(sorted);
      invalid = List.copyOf(invalid);
    }

    /** Marks that apply to {@code uid}: every user's and its own. */
    @Override
    public Set<Mark> marks(int uid) {
      return union(global, perUser, uid);
    }
  }

  private Path userDir(int uid) {
    return root.resolve(USERS).resolve(Integer.toString(uid));
  }

  private static Path fileOf(Path dir, Mark mark) {
    return dir.resolve(mark.kind().folder()).resolve(mark.unit());
  }

  private static void touch(Path file) throws IOException {
    try {
      Files.createFile(file);
    } catch (FileAlreadyExistsException ignored) {
      // Already marked: one mark is enough.
    }
  }

  /** Valid marks under {@code dir}; names that are not unit names go to {@code invalid}. */
  private static Set<Mark> scan(Path dir, List<String> invalid) throws MarkStoreException {
    Set<Mark> marks = new TreeSet<>();
    for (Mark.Kind kind : Mark.Kind.values()) {
      Path folder = dir.resolve(kind.folder());
      for (String name : names(folder)) {
        if (name.startsWith(".")) {
          continue; // a scriptlet's temporary file, or ours
        }
        String problem = UnitName.problem(name);
        if (problem != null) {
          invalid.add(folder.resolve(name) + ": " + problem);
        } else if (!Files.isRegularFile(folder.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
          invalid.add(folder.resolve(name) + ": not a regular file");
        } else {
          marks.add(new Mark(kind, name));
        }
      }
    }
    return marks;
  }

  private List<Integer> userIds(List<String> invalid) throws MarkStoreException {
    List<Integer> uids = new ArrayList<>();
    for (String name : names(root.resolve(USERS))) {
      OptionalInt uid = Uids.parse(name);
      // Only the canonical spelling: user/007 would be read as 7 and then looked for as user/7.
      if (uid.isPresent() && Integer.toString(uid.getAsInt()).equals(name)) {
        uids.add(uid.getAsInt());
      } else {
        invalid.add(root.resolve(USERS).resolve(name) + ": not a UID");
      }
    }
    uids.sort(null);
    return uids;
  }

  private static List<String> names(Path folder) throws MarkStoreException {
    List<String> names = new ArrayList<>();
    if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
      return names;
    }
    if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
      throw new MarkStoreException("mark store is corrupt: " + folder + " is not a directory", false);
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
      for (Path entry : entries) {
        names.add(entry.getFileName().toString());
      }
    } catch (NoSuchFileException e) {
      return names;
    } catch (IOException e) {
      throw new MarkStoreException("cannot read the mark store " + folder + ": " + e, false);
    }
    names.sort(null);
    return names;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          deleteTree(entry);
        }
      }
    }
    Files.deleteIfExists(dir);
  }
}
