// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.marks;

/** A unit marked for restart (or reload) in user managers. */
public record Mark(Kind kind, String unit) implements Comparable<Mark> {

  /** What to do with a marked unit; the name is also the store's folder name. */
  public enum Kind {
    RESTART("restart"),
    RELOAD("reload");

    private final String folder;

    Kind(String folder) {
      this.folder = folder;
    }

    public String folder() {
      return folder;
    }
  }

  /*
   * Written out: a record's generated equals and hashCode are linked through method handles at
   * their first call, which cost every run about 15 ms (measured at one user). Marks live in hash
   * sets from the first mark store read on.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Mark m && kind == m.kind && unit.equals(m.unit);
  }

  @Override
  public int hashCode() {
    return 31 * unit.hashCode() + kind.ordinal();
  }

  @Override
  public int compareTo(Mark o) {
    int c = unit.compareTo(o.unit);
    return c != 0 ? c : kind.compareTo(o.kind);
  }
}
