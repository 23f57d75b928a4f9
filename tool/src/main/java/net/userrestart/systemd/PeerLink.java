// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import net.userrestart.log.Shown;
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
  /* "OK" and a 32-digit GUID, or REJECTED and a list of mechanisms: far less than this. */
  private static final int MAX_SASL_LINE = 512;
  /*
   * How long a read-only call waits for its reply before it is sent again, doubled each time: a
   * call left unread in the peer's buffer is unblocked by the next bytes that arrive.
   */
  private static final long FIRST_CALL_WAIT_NANOS = 25_000_000;
  /* Time for taking the bytes of one read, at most a buffer's worth, once the deadline passed. */
  private static final long LAST_READ = 1_000_000_000;

  /* Marshals calls; systemd reads either byte order. */
  private final MessageFactory messages = new MessageFactory(Endian.LITTLE);
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  /* What was read and not yet taken: messages, kept or dropped as they come. */
  private final Inbox inbox;
  /* Calls sent again by ask() because no reply came: with BEGIN sent along with AUTH, none. */
  private int resent;

  private PeerLink(SocketChannel channel, Selector selector, String keptSignal, long budget)
      throws IOException {
    this.channel = channel;
    this.selector = selector;
    this.key = channel.register(selector, SelectionKey.OP_READ);
    this.inbox = new Inbox(keptSignal, budget);
  }

  /** Our effective uid: the owner of /proc/self. */
  static int ourUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * Connects to {@code socket} and authenticates with SASL EXTERNAL, by {@code untilNanos}. A peer
   * whose listen queue is full fails at once rather than blocking: the caller retries. Signals
   * named {@code keptSignal} are read; all others (all, when it is null) are dropped unparsed,
   * whatever their size, and so are replies to calls not awaited. Once the replies and kept signals
   * come to more than {@code budget} bytes, the connection ends.
   */
  static PeerLink connect(Path socket, long untilNanos, String keptSignal, long budget)
      throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    Selector selector = null;
    try {
      channel.configureBlocking(false);
      selector = Selector.open();
      PeerLink link = new PeerLink(channel, selector, keptSignal, budget);
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
    String answer;
    while ((answer = inbox.line(MAX_SASL_LINE)) == null) {
      if (!inbox.fill(channel)) {
        await(SelectionKey.OP_READ, untilNanos, "no answer to AUTH");
      }
    }
    if (!answer.startsWith("OK ")) {
      throw new IOException("authentication failed: " + Shown.of(answer));
    }
  }

  private static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
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
   * The replies to the calls sent as {@code serials}, in that order, read as they come; null for
   * each that had none by {@code untilNanos}. Signals as in {@link #reply}.
   */
  List<Message> replies(List<Long> serials, long untilNanos, Consumer<DBusSignal> signals)
      throws IOException {
    Map<Long, Integer> awaited = new HashMap<>();
    for (int i = 0; i < serials.size(); i++) {
      awaited.put(serials.get(i), i);
    }
    Message[] replies = new Message[serials.size()];
    while (!awaited.isEmpty()) {
      Message m = reply(awaited.keySet(), untilNanos, signals);
      if (m == null) {
        break;
      }
      replies[awaited.remove(m.getReplySerial())] = m;
    }
    return Arrays.asList(replies);
  }

  /**
   * Reads up to the reply (a return or an error) to a call whose serial is among {@code ours}, and
   * returns it, or null when none came by {@code untilNanos}. Kept signals read on the way go to
   * {@code signals}, when it is not null; replies to other serials are dropped unparsed.
   */
  Message reply(Collection<Long> ours, long untilNanos, Consumer<DBusSignal> signals)
      throws IOException {
    boolean wanted = signals != null;
    for (Message m = next(untilNanos, ours, wanted); m != null; m = next(untilNanos, ours, wanted)) {
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
   * The next kept signal, or null when none came by {@code untilNanos}. Throws {@link
   * EOFException} when the peer closed the connection. Replies (no call is awaited here) and
   * signals other than the kept one are dropped unparsed. A message dbus-java cannot make sense of
   * is skipped, as its own connections do; one too large to be systemd's ends the connection.
   */
  Message next(long untilNanos) throws IOException {
    return next(untilNanos, List.of(), true);
  }

  /*
   * The next message that is a reply to one of {@code ours} or, with {@code signals}, a kept
   * signal. The deadline is looked at on every turn, not only when a read finds nothing: a peer
   * that never pauses is cut at the deadline all the same.
   */
  private Message next(long untilNanos, Collection<Long> ours, boolean signals)
      throws IOException {
    while (true) {
      Message m = inbox.take(ours, signals, untilNanos);
      if (m != null) {
        return m;
      }
      if (untilNanos - System.nanoTime() <= 0) {
        // What had arrived by the deadline still counts: one read more, its bytes taken, no more.
        return inbox.fill(channel) ? inbox.take(ours, signals, System.nanoTime() + LAST_READ) : null;
      }
      if (!inbox.fill(channel)) {
        try {
          await(SelectionKey.OP_READ, untilNanos, "no reply");
        } catch (SocketTimeoutException e) {
          return null;
        }
      }
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
