// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.MessageTypeException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;

/**
 * The read side of a {@link PeerLink}: the bytes read and not yet taken, cut into messages. What
 * the caller waits for (a reply to one of its calls, the kept signal) is parsed by dbus-java and
 * counted against a budget; everything else is skipped as it comes, unparsed and never held whole,
 * whatever its size.
 */
final class Inbox {
  /* The header fields of systemd's messages take a few hundred bytes. */
  private static final int MAX_HEADER_FIELDS = 64 * 1024;
  /* The D-Bus specification's limit: a longer message is not D-Bus at all. */
  private static final long MAX_MESSAGE = 128 * 1024 * 1024;
  /*
   * The most bytes of messages dropped over a connection. A manager's signals about its own units
   * come to a few hundred kB in a busy minute; a peer that streams far more than that is not a
   * manager, and would keep a worker busy reading it until the deadline.
   */
  private static final long MAX_DROPPED = 64L * 1024 * 1024;
  /* Room for a re-exec's whole burst of signals, a few hundred bytes each, in one read. */
  private static final int BUFFER = 16 * 1024;
  /* Message types, in the fixed header. */
  private static final byte RETURN = 2;
  private static final byte ERROR = 3;
  private static final byte SIGNAL = 4;

  /* The signal kept, by member name, or null: every other signal is dropped before it is parsed. */
  private final byte[] kept;
  /*
   * The most bytes of messages kept (replies to our calls, kept signals) over the connection's
   * life: what the peer can make us parse and hold.
   */
  private final long budget;
  /* Bytes of messages kept so far. */
  private long held;
  /* Bytes read and not yet taken, between position and limit. */
  private ByteBuffer in = ByteBuffer.allocate(BUFFER).flip();
  /* Bytes of a dropped message still to come: skipped as they are read. */
  private long skip;
  /* Bytes of messages dropped so far. */
  private long dropped;

  Inbox(String keptSignal, long budget) {
    this.kept = keptSignal == null ? null : keptSignal.getBytes(StandardCharsets.US_ASCII);
    this.budget = budget;
  }

  /**
   * The first line read (SASL), without its CR LF, taken; null while it is incomplete. A line that
   * does not end within {@code max} bytes is no SASL answer.
   */
  String line(int max) throws IOException {
    int end = lineEnd();
    if (end < 0) {
      if (in.remaining() >= max) {
        throw new IOException("authentication failed: an overlong answer to AUTH");
      }
      return null;
    }
    String line =
        new String(in.array(), in.position(), end - in.position(), StandardCharsets.US_ASCII);
    in.position(end + 2);
    return line;
  }

  /* Where the first line read ends (its CR), or -1. */
  private int lineEnd() {
    for (int i = in.position(); i + 1 < in.limit(); i++) {
      if (in.get(i) == '\r' && in.get(i + 1) == '\n') {
        return i;
      }
    }
    return -1;
  }

  /* Reads what the socket has; false when it had nothing. Throws EOFException at its end. */
  boolean fill(SocketChannel channel) throws IOException {
    in.compact();
    int n;
    try {
      n = channel.read(in);
    } finally {
      in.flip();
    }
    if (n < 0) {
      throw new EOFException("the peer closed the connection");
    }
    return n > 0;
  }

  /*
   * Takes the messages read so far until one is for the caller; null when more must be read, or
   * the deadline passed while dropping others. What is kept is parsed and counted against the budget; what is not is
   * skipped as it comes, never held whole.
   */
  Message take(Collection<Long> ours, boolean signals, long untilNanos)
      throws IOException {
    while (true) {
      int skipped = (int) Math.min(skip, in.remaining());
      in.position(in.position() + skipped);
      skip -= skipped;
      if (skip > 0 || in.remaining() < 16) {
        return null;
      }
      int at = in.position();
      byte order = in.get(at);
      if (order != 'l' && order != 'B') {
        throw new IOException("not a D-Bus message (endianness byte " + (order & 0xff) + ")");
      }
      in.order(order == 'l' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
      long bodyLength = in.getInt(at + 4) & 0xffffffffL;
      long fieldsLength = in.getInt(at + 12) & 0xffffffffL;
      if (fieldsLength > MAX_HEADER_FIELDS || bodyLength > MAX_MESSAGE) {
        throw new IOException(
            "message too large (" + fieldsLength + " bytes of header, " + bodyLength + " of body)");
      }
      int fields = (int) ((fieldsLength + 7) & ~7L);
      long length = 16 + fields + bodyLength;
      byte type = in.get(at + 1);
      if (type != SIGNAL && bodyLength > budget) {
        throw new IOException(
            "message too large (" + bodyLength + " bytes of body, more than any systemd sends here)");
      }
      if (in.remaining() < 16 + fieldsLength) {
        in = room(16 + fields);
        return null; // the header fields are yet to come
      }
      if (!wanted(type, at, 16 + (int) fieldsLength, ours, signals)) {
        skip = length;
        dropped += length;
        if (dropped > MAX_DROPPED) {
          throw new IOException(
              "the peer sent more than " + MAX_DROPPED + " bytes that nobody asked for");
        }
        // A peer that sends nothing but what is dropped is cut at the deadline all the same.
        if (untilNanos - System.nanoTime() <= 0) {
          return null;
        }
        continue;
      }
      if (length > budget - held) {
        throw new IOException(
            "the peer sent more than " + budget + " bytes of replies and signals to keep");
      }
      if (in.remaining() < length) {
        in = room((int) length);
        return null;
      }
      held += length;
      Message m = parse(type, at, fields, (int) length);
      if (m != null) {
        return m;
      }
    }
  }

  /*
   * Whether the message at {@code at} is for the caller: a reply to one of its calls, or the kept
   * signal. Headers laid out in a way HeaderFields does not read are left to dbus-java.
   */
  private boolean wanted(byte type, int at, int end, Collection<Long> ours, boolean signals) {
    if (type == SIGNAL) {
      if (!signals || kept == null) {
        return false;
      }
      HeaderFields.Found member = HeaderFields.find(in, at, end, HeaderFields.MEMBER);
      return member instanceof HeaderFields.Found.Unknown
          || member instanceof HeaderFields.Found.Text t && HeaderFields.equals(in, t, kept);
    }
    if (type != RETURN && type != ERROR) {
      return false; // calls to us (we serve nothing), and types D-Bus says to ignore
    }
    HeaderFields.Found serial = HeaderFields.find(in, at, end, HeaderFields.REPLY_SERIAL);
    return serial instanceof HeaderFields.Found.Unknown
        || serial instanceof HeaderFields.Found.Number n && ours.contains(n.value());
  }

  /* The message at {@code at} as dbus-java makes it, or null when it cannot (then skipped). */
  private Message parse(byte type, int at, int fields, int length) {
    in.position(at + length);
    // dbus-java's layout: the fixed header; the fields' length, 4 unused bytes, the fields
    // padded to 8; the body.
    byte[] bytes = in.array();
    byte[] fixed = Arrays.copyOfRange(bytes, at, at + 12);
    byte[] header = new byte[8 + fields];
    System.arraycopy(bytes, at + 12, header, 0, 4);
    System.arraycopy(bytes, at + 16, header, 8, fields);
    byte[] body = Arrays.copyOfRange(bytes, at + 16 + fields, at + length);
    try {
      return MessageFactory.createMessage(type, fixed, header, body, null);
    } catch (DBusException | MessageTypeException | RuntimeException e) {
      return null; // skipped, as dbus-java's own connections do
    }
  }

  /* The read buffer, or a larger one holding the same bytes, with room for a message of length. */
  private ByteBuffer room(int length) {
    return length <= in.capacity() ? in : ByteBuffer.allocate(length).put(in).flip();
  }
}
