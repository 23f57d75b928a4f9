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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
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
  /* systemd's own replies here are a few kB; anything near the protocol's 128 MiB is hostile. */
  private static final int MAX_HEADER_FIELDS = 64 * 1024;
  private static final int MAX_BODY = 8 * 1024 * 1024;
  /* The message type of a signal, in the fixed header. */
  private static final byte SIGNAL = 4;
  /* "OK" and a 32-digit GUID, or REJECTED and a list of mechanisms: far less than this. */
  private static final int MAX_SASL_LINE = 512;

  /* Marshals calls; systemd reads either byte order. */
  private final MessageFactory messages = new MessageFactory(Endian.LITTLE);
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  /* The 12-byte fixed header and the length of the header fields, then the rest of a message. */
  private final ByteBuffer start = ByteBuffer.allocate(16);
  private ByteBuffer[] rest;

  private PeerLink(SocketChannel channel, Selector selector) throws IOException {
    this.channel = channel;
    this.selector = selector;
    this.key = channel.register(selector, SelectionKey.OP_READ);
  }

  /** Our effective uid: the owner of /proc/self. */
  static int ourUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * Connects to {@code socket} and authenticates with SASL EXTERNAL, by {@code untilNanos}. A peer
   * whose listen queue is full fails at once rather than blocking: the caller retries.
   */
  static PeerLink connect(Path socket, long untilNanos) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    Selector selector = null;
    try {
      channel.configureBlocking(false);
      selector = Selector.open();
      PeerLink link = new PeerLink(channel, selector);
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
    ByteBuffer line = ByteBuffer.allocate(MAX_SASL_LINE);
    while (!endsLine(line)) {
      if (!line.hasRemaining()) {
        throw new IOException("authentication failed: an overlong answer to AUTH");
      }
      if (channel.read(line) < 0) {
        throw new EOFException("the peer closed the connection during authentication");
      }
      if (!endsLine(line)) {
        await(SelectionKey.OP_READ, untilNanos, "no answer to AUTH");
      }
    }
    String answer = new String(line.array(), 0, line.position() - 2, StandardCharsets.US_ASCII);
    if (!answer.startsWith("OK ")) {
      throw new IOException("authentication failed: " + UnitName.printable(answer, Calls.MAX_TEXT));
    }
  }

  private static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static boolean endsLine(ByteBuffer b) {
    int n = b.position();
    return n >= 2 && b.get(n - 2) == '\r' && b.get(n - 1) == '\n';
  }

  /** Who the kernel says is at the other end. */
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
    for (byte[] part : call.getWireData()) {
      if (part == null) {
        break;
      }
      write(ByteBuffer.wrap(part), untilNanos);
    }
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
   * Reads up to the reply (a return or an error) to a call whose serial {@code ours} accepts, and
   * returns it, or null when none came by {@code untilNanos}. Signals read on the way go to {@code
   * signals}, or are dropped unparsed when it is null: a manager that re-executes sends one for
   * each of its units first.
   */
  Message reply(LongPredicate ours, long untilNanos, Consumer<DBusSignal> signals)
      throws IOException {
    boolean parse = signals != null;
    for (Message m = next(untilNanos, parse); m != null; m = next(untilNanos, parse)) {
      if (m instanceof DBusSignal signal) {
        signals.accept(signal);
      } else if (ours.test(m.getReplySerial())) {
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
      Duration firstWait,
      long untilNanos,
      Object... args)
      throws IOException, SystemdException {
    List<Long> sent = new ArrayList<>();
    long wait = firstWait.toNanos();
    while (untilNanos - System.nanoTime() > 0) {
      sent.add(send(step, path, iface, member, signature, untilNanos, args).getSerial());
      Message m = reply(sent::contains, Math.min(untilNanos, System.nanoTime() + wait), null);
      if (m != null) {
        return m;
      }
      wait *= 2;
    }
    return null;
  }

  /**
   * The next message, or null when none came by {@code untilNanos}. Throws {@link EOFException}
   * when the peer closed the connection. Signals are dropped unparsed unless {@code signals}. A
   * message dbus-java cannot make sense of is skipped, as its own connections do; one too large to
   * be systemd's ends the connection.
   */
  Message next(long untilNanos, boolean signals) throws IOException {
    while (true) {
      if (rest == null) {
        read(start);
        if (!start.hasRemaining()) {
          begin();
        }
      }
      if (rest != null) {
        read(rest);
        if (!rest[0].hasRemaining() && !rest[1].hasRemaining()) {
          Message m = finish(signals);
          if (m != null) {
            return m;
          }
          continue;
        }
      }
      try {
        await(SelectionKey.OP_READ, untilNanos, "no reply");
      } catch (SocketTimeoutException e) {
        return null;
      }
    }
  }

  private void read(ByteBuffer... into) throws IOException {
    if (channel.read(into) < 0) {
      throw new EOFException("the peer closed the connection");
    }
  }

  /* Sizes the rest of the message from its fixed header, as dbus-java's own reader lays it out. */
  private void begin() throws IOException {
    byte[] s = start.array();
    if (s[0] != 'l' && s[0] != 'B') {
      throw new IOException("not a D-Bus message (endianness byte " + (s[0] & 0xff) + ")");
    }
    ByteBuffer view =
        ByteBuffer.wrap(s).order(s[0] == 'l' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    long bodyLength = view.getInt(4) & 0xffffffffL;
    long fieldsLength = view.getInt(12) & 0xffffffffL;
    if (fieldsLength > MAX_HEADER_FIELDS || bodyLength > MAX_BODY) {
      throw new IOException(
          "message too large (" + fieldsLength + " bytes of header, " + bodyLength + " of body)");
    }
    // dbus-java's header array: the fields' length, 4 unused bytes, the fields padded to 8.
    ByteBuffer fields = ByteBuffer.allocate(8 + (int) ((fieldsLength + 7) & ~7L));
    fields.put(s, 12, 4).position(8);
    rest = new ByteBuffer[] {fields, ByteBuffer.allocate((int) bodyLength)};
  }

  private Message finish(boolean signals) {
    byte[] fixed = new byte[12];
    System.arraycopy(start.array(), 0, fixed, 0, 12);
    byte[] header = rest[0].array();
    byte[] body = rest[1].array();
    start.clear();
    rest = null;
    if (!signals && fixed[1] == SIGNAL) {
      return null;
    }
    try {
      return MessageFactory.createMessage(fixed[1], fixed, header, body, null);
    } catch (DBusException | MessageTypeException | RuntimeException e) {
      return null;
    }
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
