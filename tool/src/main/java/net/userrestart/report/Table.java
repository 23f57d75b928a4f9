// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.report;

import java.io.PrintWriter;
import java.util.List;

/** A plain table like systemctl's: a header row, columns padded to their widest cell. */
public final class Table {
  private Table() {}

  /**
   * Prints {@code rows} (the first is the header). Columns named in {@code rightAligned} (by index)
   * are aligned right, as numbers are; the last column is never padded.
   */
  public static void print(PrintWriter out, List<String[]> rows, int... rightAligned) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        String cell = row[i];
        boolean last = i == columns - 1;
        String pad = " ".repeat(last ? 0 : width[i] - cell.length());
        line.append(isIn(i, rightAligned) ? pad + cell : cell + pad);
        if (!last) {
          line.append("  ");
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  private static boolean isIn(int i, int[] set) {
    for (int x : set) {
      if (x == i) {
        return true;
      }
    }
    return false;
  }
}
