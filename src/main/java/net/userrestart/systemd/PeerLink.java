// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.MessageTypeException;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Endian;

/**
 * A peer-to-peer D-Bus connection to a systemd manager's private socket, read and written on the
 * calling thread, every step bounded by a time: connect, SASL EXTERNAL, calls, replies. dbus-java
 * (un)marshals the messages. Its connections are left out: they start five threads each, hand every
 * message between them and export an object, and their SASL exchange cannot be bounded but by
 * interrupting the thread; a client that sends a few calls in turn needs none of that, and reaches
 * each user manager twice per run.
 */
final class PeerLink implements AutoCloseable {
  /* The header fields of systemd's messages take a few hundred bytes. */
  private static final int MAX_HEADER_FIELDS = 64 * 1024;
  /* The D-Bus specification's limit: a longer message is not D-Bus at all. */
  private static final long MAX_MESSAGE = 128 * 1024 * 1024;
  /* The message type of a signal, in the fixed header, and the header field naming its member. */
  private static final byte SIGNAL = 4;
  private static final byte MEMBER = 3;
  /* "OK" and a 32-digit GUID, or REJECTED and a list of mechanisms: far less than this. */
  private static final int MAX_SASL_LINE = 512;
  /*
   * How long a read-only call waits for its reply before it is sent again, doubled each time: a
   * call left unread in the peer's buffer is unblocked by the next bytes that arrive.
   */
  private static final long FIRST_CALL_WAIT_NANOS = 25_000_000;
  /* Room for a re-exec's whole burst of signals, a few hundred bytes each, in one read. */
  private static final int BUFFER = 16 * 1024;

  /* Marshals calls; systemd reads either byte order. */
  private final MessageFactory messages = new MessageFactory(Endian.LITTLE);
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  /* The signal kept, by member name; every other signal is dropped before it is parsed. */
  private final byte[] kept;
  /* The longest body of a message that is kept: what the peer can make us hold. */
  private final int maxBody;
  /* Bytes read and not yet taken, between position and limit. */
  private ByteBuffer in = ByteBuffer.allocate(BUFFER).flip();
  /* Bytes of a dropped message still to come: skipped as they are read, never held whole. */
  private long skip;
  /* Calls sent again by ask() because no reply came: with BEGIN sent along with AUTH, none. */
  private int resent;

  private PeerLink(SocketChannel channel, Selector selector, String keptSignal, int maxBody)
      throws IOException {
    this.channel = channel;
    this.selector = selector;
    this.key = channel.register(selector, SelectionKey.OP_READ);
    this.kept = keptSignal == null ? null : keptSignal.getBytes(StandardCharsets.US_ASCII);
    this.maxBody = maxBody;
  }

  /** Our effective uid: the owner of /proc/self. */
  static int ourUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * Connects to {@code socket} and authenticates with SASL EXTERNAL, by {@code untilNanos}. A peer
   * whose listen queue is full fails at once rather than blocking: the caller retries. Signals
   * named {@code keptSignal} are read; all others (all, when it is null) are dropped unparsed,
   * whatever their size. A reply or kept signal with a body longer than {@code maxBody} ends the
   * connection.
   */
  static PeerLink connect(Path socket, long untilNanos, String keptSignal, int maxBody)
      throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    Selector selector = null;
    try {
      channel.configureBlocking(false);
      selector = Selector.open();
      PeerLink link = new PeerLink(channel, selector, keptSignal, maxBody);
      if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
        link.await(SelectionKey.OP_CONNECT, untilNanos, "the connection was not accepted");
        channel.finishConnect();
      }
      link.authenticate(untilNanos);
      return link;
    } catch (IOException | RuntimeException e) {
      if (selector != null) {
        selector.close();
      }
      channel.close();
      throw e;
    }
  }

  /*
   * SASL as sd-bus clients (systemctl) do it: a NUL byte, AUTH EXTERNAL with our uid's digits in
   * hex and BEGIN in one write, then the server's OK. Sending BEGIN only after the OK lets it
   * arrive in the same read as the first call, which systemd's sd-bus then leaves unread until
   * more data comes. No file descriptors are asked for: nothing here passes any.
   */
  private void authenticate(long untilNanos) throws IOException {
    StringBuilder hex = new StringBuilder();
    for (char c : Integer.toString(ourUid()).toCharArray()) {
      hex.append(Integer.toHexString(c));
    }
    write(ascii("\0AUTH EXTERNAL " + hex + "\r\nBEGIN\r\n"), untilNanos);
    int end;
    while ((end = lineEnd()) < 0) {
      if (in.remaining() >= MAX_SASL_LINE) {
        throw new IOException("authentication failed: an overlong answer to AUTH");
      }
      if (!fill()) {
        await(SelectionKey.OP_READ, untilNanos, "no answer to AUTH");
      }
    }
    String answer =
        new String(in.array(), in.position(), end - in.position(), StandardCharsets.US_ASCII);
    in.position(end + 2);
    if (!answer.startsWith("OK ")) {
      throw new IOException("authentication failed: " + UnitName.printable(answer, Calls.MAX_TEXT));
    }
  }

  private static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
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

  /**
   * Who the kernel says is at the other end. The JDK names the uid and gid with user and group
   * database lookups, which can hang: see {@link SocketGuard#checkPeer}.
   */
  UserPrincipal peer() throws IOException {
    return channel.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
  }

  /** Makes a call addressed to no bus name (there is no bus here) and sends it. */
  MethodCall send(
      String step,
      String path,
      String iface,
      String member,
      String signature,
      long untilNanos,
      Object... args)
      throws SystemdException, IOException {
    MethodCall call = Calls.methodCall(step, messages, null, path, iface, member, signature, args);
    // dbus-java keeps a message as dozens of pieces (each field, each padding); one write sends
    // them, so that neither we nor the manager pay a system call for each.
    byte[][] parts = call.getWireData();
    int length = 0;
    for (int i = 0; i < parts.length && parts[i] != null; i++) {
      length += parts[i].length;
    }
    ByteBuffer wire = ByteBuffer.allocate(length);
    for (int i = 0; i < parts.length && parts[i] != null; i++) {
      wire.put(parts[i]);
    }
    write(wire.flip(), untilNanos);
    return call;
  }

  private void write(ByteBuffer b, long untilNanos) throws IOException {
    while (b.hasRemaining()) {
      if (channel.write(b) == 0) {
        await(SelectionKey.OP_WRITE, untilNanos, "it does not read what is sent");
      }
    }
  }

  /**
   * Reads up to the reply (a return or an error) to a call whose serial is among {@code ours}, and
   * returns it, or null when none came by {@code untilNanos}. Kept signals read on the way go to
   * {@code signals}, when it is not null.
   */
  Message reply(Collection<Long> ours, long untilNanos, Consumer<DBusSignal> signals)
      throws IOException {
    boolean wanted = signals != null;
    for (Message m = next(untilNanos, wanted); m != null; m = next(untilNanos, wanted)) {
      if (m instanceof DBusSignal signal) {
        if (wanted) {
          signals.accept(signal);
        }
      } else if (ours.contains(m.getReplySerial())) {
        return m;
      }
    }
    return null;
  }

  /**
   * Sends a read-only call and returns its reply, or null when none came by {@code untilNanos};
   * signals are dropped. A systemd manager leaves a call that arrived in the same read as the SASL
   * BEGIN unread until more data comes. BEGIN goes with AUTH so that this does not happen; should
   * it, the call is sent again while no reply came, waiting twice as long each time. A duplicate
   * read costs the manager nothing.
   */
  Message ask(
      String step,
      String path,
      String iface,
      String member,
      String signature,
      long untilNanos,
      Object... args)
      throws IOException, SystemdException {
    List<Long> sent = new ArrayList<>();
    long wait = FIRST_CALL_WAIT_NANOS;
    while (untilNanos - System.nanoTime() > 0) {
      if (!sent.isEmpty()) {
        resent++;
      }
      sent.add(send(step, path, iface, member, signature, untilNanos, args).getSerial());
      Message m = reply(sent, Math.min(untilNanos, System.nanoTime() + wait), null);
      if (m != null) {
        return m;
      }
      wait *= 2;
    }
    return null;
  }

  /** How many calls {@link #ask} has sent again so far. */
  int resent() {
    return resent;
  }

  /**
   * The next message, or null when none came by {@code untilNanos}. Throws {@link EOFException}
   * when the peer closed the connection. Signals other than the kept one are dropped unparsed. A
   * message dbus-java cannot make sense of is skipped, as its own connections do; one too large to
   * be systemd's ends the connection.
   */
  Message next(long untilNanos) throws IOException {
    return next(untilNanos, true);
  }

  /* As above; with {@code signals} false, every signal is dropped without a look at its header. */
  private Message next(long untilNanos, boolean signals) throws IOException {
    while (true) {
      Message m = take(signals);
      if (m != null) {
        return m;
      }
      if (!fill()) {
        try {
          await(SelectionKey.OP_READ, untilNanos, "no reply");
        } catch (SocketTimeoutException e) {
          return null;
        }
      }
    }
  }

  /* Reads what the socket has; false when it had nothing. Throws EOFException at its end. */
  private boolean fill() throws IOException {
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
   * Takes the messages read so far until one is for the caller; null when more must be read. A
   * message kept and larger than the buffer gets a buffer of its own size; a dropped one is
   * skipped as it comes.
   */
  private Message take(boolean signals) throws IOException {
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
      if (type == SIGNAL) {
        if (signals && in.remaining() < 16 + fieldsLength) {
          in = room(16 + fields);
          return null; // the member name is yet to come
        }
        if (!(signals && kept(at, 16 + (int) fieldsLength))) {
          skip = length;
          continue;
        }
      }
      if (bodyLength > maxBody) {
        throw new IOException(
            "message too large ("
                + bodyLength
                + " bytes of body, more than any systemd sends here)");
      }
      if (in.remaining() < length) {
        in = room((int) length);
        return null;
      }
      in.position(at + (int) length);
      // dbus-java's layout: the fixed header; the fields' length, 4 unused bytes, the fields
      // padded to 8; the body.
      byte[] bytes = in.array();
      byte[] fixed = Arrays.copyOfRange(bytes, at, at + 12);
      byte[] header = new byte[8 + fields];
      System.arraycopy(bytes, at + 12, header, 0, 4);
      System.arraycopy(bytes, at + 16, header, 8, fields);
      byte[] body = Arrays.copyOfRange(bytes, at + 16 + fields, at + (int) length);
      try {
        return MessageFactory.createMessage(type, fixed, header, body, null);
      } catch (DBusException | MessageTypeException | RuntimeException e) {
        // Skipped, as dbus-java's own connections do.
      }
    }
  }

  /* The read buffer, or a larger one holding the same bytes, with room for a message of length. */
  private ByteBuffer room(int length) {
    return length <= in.capacity() ? in : ByteBuffer.allocate(length).put(in).flip();
  }

  /*
   * Whether the signal at {@code at} is the kept one, read from its header fields (an array of
   * code, signature, value; each 8-aligned from the message's start) without parsing the message.
   * Fields this does not know make it say yes: dbus-java then decides.
   */
  private boolean kept(int at, int end) {
    if (kept == null) {
      return false;
    }
    int i = 16;
    while (i < end) {
      if (i + 4 > end || in.get(at + i + 1) != 1 || in.get(at + i + 3) != 0) {
        return true;
      }
      int code = in.get(at + i);
      byte sig = in.get(at + i + 2);
      int v = i + 4;
      switch (sig) {
        case 's', 'o' -> {
          v = (v + 3) & ~3;
          if (v + 4 > end) {
            return true;
          }
          int n = in.getInt(at + v);
          if (n < 0 || v + 4 + n + 1 > end) {
            return true;
          }
          if (code == MEMBER) {
            return n == kept.length
                && Arrays.equals(in.array(), at + v + 4, at + v + 4 + n, kept, 0, kept.length);
          }
          i = v + 4 + n + 1;
        }
        case 'g' -> i = v + 1 + (in.get(at + v) & 0xff) + 1;
        case 'u', 'i', 'h' -> i = ((v + 3) & ~3) + 4;
        case 'y' -> i = v + 1;
        default -> {
          return true;
        }
      }
      i = (i + 7) & ~7;
    }
    return false; // a signal without a member: malformed, and not the kept one.
  }

  /**
   * Waits for {@code ops}, or throws a {@link SocketTimeoutException} saying what is {@code
   * missing} once {@code untilNanos} has passed. An interrupt ends the wait too: the selector
   * returns at once on an interrupted thread, which must not spin.
   */
  private void await(int ops, long untilNanos, String missing) throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted");
    }
    long millis = Math.floorDiv(untilNanos - System.nanoTime() + 999_999, 1_000_000);
    if (millis <= 0) {
      throw new SocketTimeoutException(missing);
    }
    key.interestOps(ops);
    selector.select(millis);
    selector.selectedKeys().clear();
  }

  /**
   * A failed read or write as a step's failure: the deadline passing is a timeout, everything else
   * (the peer hanging up, a message too large) a failure. {@code who} names the peer.
   */
  static SystemdException failure(String step, String who, IOException e) {
    if (e instanceof SocketTimeoutException) {
      return SystemdException.timeout(step, who + " timed out: " + e.getMessage());
    }
    if (e instanceof EOFException) {
      return SystemdException.failed(step, who + " closed the connection");
    }
    return SystemdException.failed(step, "cannot talk to " + who + ": " + e.getMessage());
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // Nothing is registered that outlives the channel.
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // Closing a socket the peer already closed.
    }
  }
}
