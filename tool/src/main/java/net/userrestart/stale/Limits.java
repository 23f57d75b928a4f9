// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.stale;

/**
 * Bounds on what a scan reads from /proc and keeps.
 *
 * @param cgroupBytes the most read of a /proc/PID/cgroup file; a longer one is not attributed
 * @param mapsLineBytes the longest /proc/PID/maps line read; longer ones are skipped
 * @param mapsBytes the most read of one /proc/PID/maps file
 * @param filesKept the replaced files kept (and shown) per unit
 * @param filesCounted the distinct replaced files counted per unit; beyond, the count stops
 * @param pidsKept the processes of a unit looked at for its main PID
 * @param unitsPerUser the stale units reported per user; beyond, they are only counted
 */
public record Limits(
    int cgroupBytes,
    int mapsLineBytes,
    long mapsBytes,
    int filesKept,
    int filesCounted,
    int pidsKept,
    int unitsPerUser) {
  /*
   * A maps line holds at most a 4096-byte path, each newline in it escaped as 4 bytes, and about
   * 100 bytes of fields; the largest maps files (65530 mappings) stay below 32 MiB.
   */
  public static final Limits DEFAULT = new Limits(8192, 4 * 4096 + 256, 32L << 20, 5, 10_000, 1024, 1000);
}
