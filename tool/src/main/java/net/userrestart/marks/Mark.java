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

  @Override
  public int compareTo(Mark o) {
    int c = unit.compareTo(o.unit);
    return c != 0 ? c : kind.compareTo(o.kind);
  }
}
