// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.net.ExtendedSocketOptions;
import org.freedesktop.dbus.connections.transports.AbstractTransport;
import org.freedesktop.dbus.connections.transports.TransportBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.MessageTypeException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;

/**
 * A peer-to-peer D-Bus connection that is read and written on the calling thread, each step bounded
 * by a time. dbus-java connects, authenticates and (un)marshals; its connection classes, which
 * start five threads per connection, hand every message between them and export an object, are left
 * out: a client that sends a few calls in turn needs none of that, and a user manager is reached
 * twice per run.
 */
final class PeerLink implements AutoCloseable {
  /* systemd's own replies here are a few kB; anything near the protocol's 128 MiB is hostile. */
  private static final int MAX_HEADER_FIELDS = 64 * 1024;
  private static final int MAX_BODY = 8 * 1024 * 1024;
  /* The message type of a signal, in the fixed header. */
  private static final byte SIGNAL = 4;

  private final AbstractTransport transport;
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  /* The 12-byte fixed header and the length of the header fields, then the rest of a message. */
  private final ByteBuffer start = ByteBuffer.allocate(16);
  private ByteBuffer fields;
  private ByteBuffer body;

  private PeerLink(AbstractTransport transport, SocketChannel channel, Selector selector)
      throws IOException {
    this.transport = transport;
    this.channel = channel;
    this.selector = selector;
    this.key = channel.register(selector, SelectionKey.OP_READ);
  }

  /**
   * Connects to {@code socket} and authenticates, in one attempt. dbus-java's SASL exchange has no
   * timeout: an interrupt of the calling thread ends it, closing the socket.
   */
  static PeerLink connect(Path socket) throws DBusException, IOException {
    AbstractTransport transport =
        TransportBuilder.create("unix:path=" + socket)
            .configure()
            /* dbus-java's timeout is a budget of retries 500 ms apart, each with a new socket;
             * 0 makes it one. Callers retry, faster. */
            .withTimeout(0)
            .back()
            .build();
    try {
      SocketChannel channel = transport.getTransportConnection().getChannel();
      channel.configureBlocking(false);
      Selector selector = Selector.open();
      try {
        return new PeerLink(transport, channel, selector);
      } catch (IOException | RuntimeException e) {
        selector.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      transport.close();
      throw e;
    }
  }

  /** Who the kernel says is at the other end. */
  UserPrincipal peer() throws IOException {
    return channel.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
  }

  MessageFactory messages() {
    return transport.getMessageFactory();
  }

  /** Writes a call whole, or throws {@link SocketTimeoutException} at {@code untilNanos}. */
  void send(MethodCall call, long untilNanos) throws IOException {
    for (byte[] part : call.getWireData()) {
      if (part == null) {
        break;
      }
      ByteBuffer b = ByteBuffer.wrap(part);
      while (b.hasRemaining()) {
        if (channel.write(b) == 0 && !await(SelectionKey.OP_WRITE, untilNanos)) {
          throw new SocketTimeoutException("the peer does not read");
        }
      }
    }
  }

  /**
   * Sends a read-only call made by {@code make} and returns its reply, or null when none came by
   * {@code untilNanos}; signals are dropped. A systemd manager may leave a call that arrived in the
   * same read as the SASL BEGIN unread until more data comes: while no reply came, the call is sent
   * again, waiting twice as long each time. A duplicate read costs the manager nothing.
   */
  Message ask(Maker make, Duration firstWait, long untilNanos)
      throws IOException, SystemdException {
    List<Long> sent = new ArrayList<>();
    long wait = firstWait.toNanos();
    while (untilNanos - System.nanoTime() > 0) {
      MethodCall call = make.call(messages());
      send(call, untilNanos);
      sent.add(call.getSerial());
      long until = Math.min(untilNanos, System.nanoTime() + wait);
      for (Message m = next(until, false); m != null; m = next(until, false)) {
        if (sent.contains(m.getReplySerial())) {
          return m;
        }
      }
      wait *= 2;
    }
    return null;
  }

  /** Makes a call with this connection's message factory. */
  @FunctionalInterface
  interface Maker {
    MethodCall call(MessageFactory messages) throws SystemdException;
  }

  /**
   * The next message, or null when none came by {@code untilNanos}. Throws {@link EOFException}
   * when the peer closed the connection. Signals are dropped unread unless {@code signals}: a
   * manager that re-executes sends one for each of its units first. A message dbus-java cannot make
   * sense of is skipped, as its own connections do; one too large to be systemd's ends the
   * connection.
   */
  Message next(long untilNanos, boolean signals) throws IOException {
    while (true) {
      if (fields == null) {
        read(start);
        if (!start.hasRemaining()) {
          begin();
        }
      }
      if (fields != null) {
        read(fields.hasRemaining() ? fields : body);
        if (!fields.hasRemaining() && body.hasRemaining()) {
          read(body);
        }
        if (!fields.hasRemaining() && !body.hasRemaining()) {
          Message m = finish(signals);
          if (m != null) {
            return m;
          }
          continue;
        }
      }
      if (!await(SelectionKey.OP_READ, untilNanos)) {
        return null;
      }
    }
  }

  private void read(ByteBuffer into) throws IOException {
    if (into.hasRemaining() && channel.read(into) < 0) {
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
    int padded = (int) ((fieldsLength + 7) & ~7L);
    fields = ByteBuffer.allocate(8 + padded);
    fields.put(s, 12, 4).position(8);
    body = ByteBuffer.allocate((int) bodyLength);
  }

  private Message finish(boolean signals) {
    byte[] fixed = new byte[12];
    System.arraycopy(start.array(), 0, fixed, 0, 12);
    byte[] header = fields.array();
    byte[] content = body.array();
    start.clear();
    fields = null;
    body = null;
    if (!signals && fixed[1] == SIGNAL) {
      return null;
    }
    try {
      return MessageFactory.createMessage(fixed[1], fixed, header, content, null);
    } catch (DBusException | MessageTypeException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Waits for {@code ops}; false once {@code untilNanos} has passed. An interrupt ends the wait
   * (the selector returns at once on an interrupted thread: it must not spin).
   */
  private boolean await(int ops, long untilNanos) throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted");
    }
    long millis = Math.floorDiv(untilNanos - System.nanoTime() + 999_999, 1_000_000);
    if (millis <= 0) {
      return false;
    }
    key.interestOps(ops);
    selector.select(millis);
    selector.selectedKeys().clear();
    return true;
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // Nothing is registered that outlives the channel.
    }
    try {
      transport.close();
    } catch (IOException ignored) {
      // Closing a socket the peer already closed.
    }
  }
}
