// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

import java.util.List;

/**
 * A unit of one user manager whose processes map replaced files, as a scan found it.
 *
 * @param unit the user unit, or {@code user@UID.service} for the manager itself
 * @param mainPid the unit's main process as the scan judged it (see ProcScanner), 0 if none left
 * @param processes how many of its processes map replaced files
 * @param files the first few replaced files, in the order found
 * @param fileCount how many distinct replaced files (at most {@link Limits#filesCounted})
 */
public record Found(
    int uid, String unit, Remedy remedy, long mainPid, int processes, List<String> files, int fileCount) {
  public Found {
    files = List.copyOf(files);
  }
}
