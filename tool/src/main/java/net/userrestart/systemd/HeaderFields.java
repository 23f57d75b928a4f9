// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reads one header field of a message still in the read buffer, without parsing the message: the
 * member of a signal, the reply serial of a reply. Lets the link drop what nobody waits for before
 * dbus-java spends time and memory on it. The fields are an array of (code, signature, value),
 * each 8-aligned from the message's start.
 */
final class HeaderFields {
  /* Header field codes, from the D-Bus specification. */
  static final int MEMBER = 3;
  static final int REPLY_SERIAL = 5;

  /** A field's value found in the header, or why not. */
  sealed interface Found {
    /** The field is not there: the header is complete and well-formed without it. */
    record Absent() implements Found {}

    /** The header is laid out in a way this does not read: dbus-java decides. */
    record Unknown() implements Found {}

    /** A string or object path field, as its place in the buffer. */
    record Text(int from, int length) implements Found {}

    /** A uint32 or int32 field. */
    record Number(long value) implements Found {}
  }

  private HeaderFields() {}

  /** The field {@code code} of the message at {@code at}, whose fixed header and fields end at {@code end}. */
  static Found find(ByteBuffer in, int at, int end, int code) {
    int i = 16;
    while (i < end) {
      if (i + 4 > end || in.get(at + i + 1) != 1 || in.get(at + i + 3) != 0) {
        return new Found.Unknown();
      }
      int field = in.get(at + i);
      byte sig = in.get(at + i + 2);
      int v = i + 4;
      switch (sig) {
        case 's', 'o' -> {
          v = (v + 3) & ~3;
          if (v + 4 > end) {
            return new Found.Unknown();
          }
          int n = in.getInt(at + v);
          if (n < 0 || v + 4 + n + 1 > end) {
            return new Found.Unknown();
          }
          if (field == code) {
            return new Found.Text(at + v + 4, n);
          }
          i = v + 4 + n + 1;
        }
        case 'u', 'i' -> {
          v = (v + 3) & ~3;
          if (v + 4 > end) {
            return new Found.Unknown();
          }
          if (field == code) {
            return new Found.Number(in.getInt(at + v) & 0xffffffffL);
          }
          i = v + 4;
        }
        case 'g' -> i = v + 1 + (in.get(at + v) & 0xff) + 1;
        case 'h' -> i = ((v + 3) & ~3) + 4;
        case 'y' -> i = v + 1;
        default -> {
          return new Found.Unknown();
        }
      }
      i = (i + 7) & ~7;
    }
    return new Found.Absent();
  }

  /** Whether a text field found holds exactly {@code expected}. */
  static boolean equals(ByteBuffer in, Found.Text text, byte[] expected) {
    return text.length() == expected.length
        && Arrays.equals(
            in.array(), text.from(), text.from() + text.length(), expected, 0, expected.length);
  }
}
