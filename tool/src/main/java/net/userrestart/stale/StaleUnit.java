// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.util.List;
import java.util.Optional;
import net.userrestart.marks.Mark;

/**
 * A user unit (or user manager) that runs replaced files, with what the report says of it.
 *
 * @param user the user's name
 * @param mainPid see {@link Found#mainPid}
 * @param files the first few replaced files, each with its owners now
 * @param moreFiles how many replaced files more than those listed
 * @param marked how the unit is marked in the mark store; empty when not marked, or for a
 *     manager, or when the store could not be read ({@link StaleResult#marksKnown})
 */
public record StaleUnit(
    int uid,
    String user,
    String unit,
    Remedy remedy,
    long mainPid,
    int processes,
    List<ReplacedFile> files,
    int moreFiles,
    Optional<Mark.Kind> marked) {
  public StaleUnit {
    files = List.copyOf(files);
  }

  /**
   * A replaced file in use.
   *
   * @param owners the packages that own its path now; empty also when none is known
   */
  public record ReplacedFile(String path, List<String> owners) {
    public ReplacedFile {
      owners = List.copyOf(owners);
    }
  }
}
