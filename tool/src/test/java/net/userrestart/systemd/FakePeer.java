// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A test-only D-Bus peer on a unix socket that speaks just enough of the protocol to pass for a
 * systemd user manager, or to misbehave on purpose.
 *
 * <p>SASL: the client sends a NUL byte, then lines; {@code AUTH} gets {@code REJECTED EXTERNAL},
 * {@code AUTH EXTERNAL <hex uid>} gets {@code OK <guid>}, {@code NEGOTIATE_UNIX_FD} gets {@code
 * AGREE_UNIX_FD} or {@code ERROR}, and {@code BEGIN} switches to messages. Messages are encoded
 * by hand: a 16-byte fixed header (endianness, type, flags, version, body length, serial, length of
 * the header fields), the header fields as an array of (byte code, variant), padding to 8, the
 * body. Replies are little-endian; calls are read in either endianness.
 *
 * <p>By default it answers like systemd: {@code Get(Version)}, {@code ListUnitsByPatterns},
 * {@code TryRestartUnit} and {@code ReloadOrTryRestartUnit} (a job path,
 * then a JobRemoved signal), {@code Reload}, and {@code Reexecute} by dropping the connection.
 * {@link #on} replaces the behaviour of one method.
 */
final class FakePeer implements AutoCloseable {
  static {
    // dbus-java logs every fault injected here at WARN or ERROR; keep the test output readable.
    // slf4j-simple reads this once, when the first logger is made: before any connection here.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
  }

  static final String MANAGER = "org.freedesktop.systemd1.Manager";
  static final String PATH = "/org/freedesktop/systemd1";
  static final int METHOD_CALL = 1;
  static final int METHOD_RETURN = 2;
  static final int ERROR = 3;
  static final int SIGNAL = 4;

  /** How the peer handles SASL. */
  enum Sasl {
    /** Authenticates the client. */
    NORMAL,
    /** Reads what the client sends and never answers. */
    STALL,
    /** Rejects every mechanism. */
    REJECT,
    /** Sends OK, then closes the connection at BEGIN. */
    CLOSE_AT_BEGIN,
    /** Answers AUTH EXTERNAL with a line that is no SASL command. */
    GARBAGE
  }

  /** What to do with one method call; runs on the connection's thread. */
  @FunctionalInterface
  interface Handler {
    void handle(Call call, Session session) throws IOException;
  }

  /** A method call as received. */
  record Call(
      long serial, int flags, String path, String iface, String member, String signature, List<Object> args) {
    String arg(int i) {
      return String.valueOf(args.get(i));
    }
  }

  /** A D-Bus variant to send: a signature and a value of that type. */
  record Variant(String signature, Object value) {}

  private final Path socket;
  private final List<Session> sessions = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger jobs = new AtomicInteger();
  private final AtomicInteger serials = new AtomicInteger(1000);
  private final List<SocketChannel> backlogFillers = new ArrayList<>();
  private volatile Sasl sasl = Sasl.NORMAL;
  private volatile boolean agreeUnixFd = true;
  private volatile int ignoreFirstCalls;
  private volatile boolean accept = true;
  private volatile int hangUpAfter = Integer.MAX_VALUE;
  private volatile long okDelayMillis;
  private ServerSocketChannel server;

  /** Unit name to ActiveState, for the ListUnits methods; a unit not in it is not loaded. */
  final Map<String, String> units = new ConcurrentHashMap<>();
  /** Unit name to the result its job's JobRemoved carries: absent means "done", "none" no signal. */
  final Map<String, String> jobResults = new ConcurrentHashMap<>();
  volatile String version = "253.4-fake";

  FakePeer(Path socket) {
    this.socket = socket;
  }

  Path socket() {
    return socket;
  }

  FakePeer sasl(Sasl mode) {
    this.sasl = mode;
    return this;
  }

  FakePeer agreeUnixFd(boolean agree) {
    this.agreeUnixFd = agree;
    return this;
  }

  /** Ignores the first {@code n} calls of every connection, as a manager may right after BEGIN. */
  FakePeer ignoreFirstCalls(int n) {
    this.ignoreFirstCalls = n;
    return this;
  }

  /** Hangs up at once on every connection after the first {@code n}. */
  FakePeer hangUpAfter(int n) {
    this.hangUpAfter = n;
    return this;
  }

  /** Waits this long before accepting the client's credentials. */
  FakePeer okDelay(long millis) {
    this.okDelayMillis = millis;
    return this;
  }

  /** Replaces the behaviour for calls of {@code member}. */
  FakePeer on(String member, Handler handler) {
    handlers.put(member, handler);
    return this;
  }

  /**
   * Listens but never accepts, and fills its own listen queue (backlog 1) with connections of its
   * own, so that a client's connect(2) blocks.
   */
  FakePeer neverAccept() {
    this.accept = false;
    return this;
  }

  /** Binds the socket and starts accepting. */
  FakePeer start() throws IOException {
    Files.createDirectories(socket.getParent());
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    if (!accept) {
      server.bind(UnixDomainSocketAddress.of(socket), 1);
      fillBacklog();
      return this;
    }
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread t = new Thread(this::acceptLoop, "fake-peer-accept");
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return this;
  }

  private void fillBacklog() throws IOException {
    for (int i = 0; i < 64; i++) {
      SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
      c.configureBlocking(false);
      try {
        c.connect(UnixDomainSocketAddress.of(socket));
        backlogFillers.add(c);
      } catch (IOException full) {
        c.close();
        return;
      }
    }
    throw new IOException("the listen queue of " + socket + " never filled");
  }

  /** Method names called so far, in order, over every connection. */
  List<String> calls() {
    return List.copyOf(calls);
  }

  long callsOf(String member) {
    return calls.stream().filter(member::equals).count();
  }

  /** Connections accepted so far. */
  int connections() {
    return connections.get();
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    }
    for (SocketChannel c : backlogFillers) {
      c.close();
    }
    for (Session s : sessions) {
      s.close();
    }
    for (Thread t : threads) {
      t.interrupt();
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Files.deleteIfExists(socket);
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        return;
      }
      if (connections.incrementAndGet() > hangUpAfter) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // Hung up either way.
        }
        continue;
      }
      Session session = new Session(channel);
      sessions.add(session);
      Thread t = new Thread(session::run, "fake-peer-connection");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** One client connection. */
  final class Session {
    private final SocketChannel channel;
    private final DataInputStream in;
    private final OutputStream out;
    private int ignored;

    Session(SocketChannel channel) {
      this.channel = channel;
      this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
      this.out = Channels.newOutputStream(channel);
    }

    void run() {
      try {
        if (!authenticate()) {
          return;
        }
        while (true) {
          Message m = Message.read(in);
          if (m.type() != METHOD_CALL) {
            continue;
          }
          Call call = m.call();
          calls.add(call.member());
          if (ignored < ignoreFirstCalls) {
            ignored++;
            continue;
          }
          Handler h = handlers.getOrDefault(call.member(), FakePeer.this::systemd);
          h.handle(call, this);
        }
      } catch (IOException | RuntimeException e) {
        // The client went away, or the test closed us.
      } finally {
        close();
      }
    }

    private boolean authenticate() throws IOException {
      if (in.read() != 0) {
        return false;
      }
      while (true) {
        String line = readLine();
        if (sasl == Sasl.STALL) {
          continue;
        }
        if (line.equals("BEGIN")) {
          if (sasl == Sasl.CLOSE_AT_BEGIN) {
            close();
            return false;
          }
          return true;
        } else if (line.startsWith("AUTH EXTERNAL ") && sasl != Sasl.REJECT) {
          String uid = new String(hex(line.substring("AUTH EXTERNAL ".length())), StandardCharsets.US_ASCII);
          if (!uid.matches("\\d+")) {
            sendLine("REJECTED EXTERNAL");
          } else if (sasl == Sasl.GARBAGE) {
            write("\u0001\u00ff\u0000GARBAGE is not a SASL command\r\n".getBytes(StandardCharsets.ISO_8859_1));
          } else {
            if (okDelayMillis > 0) {
              try {
                Thread.sleep(okDelayMillis);
              } catch (InterruptedException e) {
                return false;
              }
            }
            sendLine("OK 0123456789abcdef0123456789abcdef");
          }
        } else if (line.startsWith("AUTH") || line.startsWith("CANCEL") || line.startsWith("DATA")) {
          sendLine("REJECTED EXTERNAL");
        } else if (line.equals("NEGOTIATE_UNIX_FD")) {
          sendLine(agreeUnixFd ? "AGREE_UNIX_FD" : "ERROR \"no fd passing here\"");
        } else {
          sendLine("ERROR \"unknown command\"");
        }
      }
    }

    private String readLine() throws IOException {
      StringBuilder b = new StringBuilder();
      while (true) {
        int c = in.read();
        if (c < 0) {
          throw new EOFException();
        }
        if (c == '\n') {
          return b.toString().replace("\r", "");
        }
        if (b.length() < 16384) {
          b.append((char) c);
        }
      }
    }

    private void sendLine(String line) throws IOException {
      write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Sends raw bytes, whatever they are. */
    synchronized void write(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    void reply(Call call, String signature, Object... values) throws IOException {
      write(
          Message.encode(
              METHOD_RETURN, serials.incrementAndGet(),
              List.<Object[]>of(field(5, "u", call.serial())), signature, values));
    }

    void error(Call call, String name, String message) throws IOException {
      write(
          Message.encode(
              ERROR, serials.incrementAndGet(),
              List.<Object[]>of(field(4, "s", name), field(5, "u", call.serial())), "s", message));
    }

    void signal(String path, String iface, String member, String signature, Object... values)
        throws IOException {
      write(
          Message.encode(
              SIGNAL, serials.incrementAndGet(),
              List.<Object[]>of(field(1, "o", path), field(2, "s", iface), field(3, "s", member)),
              signature, values));
    }

    void jobRemoved(long id, String job, String unit, String result) throws IOException {
      signal(PATH, MANAGER, "JobRemoved", "uoss", id, job, unit, result);
    }

    void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closed is closed.
      }
    }
  }

  private static Object[] field(int code, String signature, Object value) {
    return new Object[] {code, signature, value};
  }

  /** What systemd would do. */
  private void systemd(Call call, Session s) throws IOException {
    switch (call.member()) {
      case "Get" -> {
        if (call.arg(1).equals("Version")) {
          s.reply(call, "v", new Variant("s", version));
        } else {
          s.error(call, "org.freedesktop.DBus.Error.UnknownProperty", "no " + call.arg(1));
        }
      }
      case "ListUnitsByPatterns" -> {
        List<?> states = (List<?>) call.args().get(0);
        List<Object> rows = new ArrayList<>();
        for (Object pattern : (List<?>) call.args().get(1)) {
          Pattern glob = UnitNameTest.fnmatch(String.valueOf(pattern));
          units.keySet().stream().sorted()
              .filter(u -> glob.matcher(u).matches())
              .filter(u -> states.isEmpty() || states.contains(units.get(u)))
              .forEach(u -> rows.add(row(u)));
        }
        s.reply(call, "a(ssssssouso)", rows);
      }
      case "TryRestartUnit", "ReloadOrTryRestartUnit" -> {
        String unit = call.arg(0);
        int id = jobs.incrementAndGet();
        String job = PATH + "/job/" + id;
        s.reply(call, "o", job);
        String result = jobResults.getOrDefault(unit, "done");
        if (!result.equals("none")) {
          s.jobRemoved(id, job, unit, result);
        }
      }
      case "Reload" -> s.reply(call, "");
      case "Reexecute" -> s.close();
      default -> s.error(call, "org.freedesktop.DBus.Error.UnknownMethod", "Unknown method " + call.member());
    }
  }

  private List<Object> row(String name) {
    return List.of(name, "", "loaded", units.get(name), "running", "", PATH + "/unit/x", 0L, "", "/");
  }

  private static byte[] hex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  /** One message off the wire, and the encoder for ours. */
  record Message(int type, long serial, int flags, Map<Integer, Object> fields, String signature, List<Object> body) {
    /** The largest header or body this peer reads; the client is not hostile. */
    private static final int MAX = 1 << 20;

    Call call() {
      return new Call(
          serial, flags, (String) fields.get(1), (String) fields.get(2), (String) fields.get(3),
          signature, body);
    }

    static Message read(DataInputStream in) throws IOException {
      byte[] fixed = new byte[16];
      in.readFully(fixed);
      boolean little = fixed[0] == 'l';
      if (!little && fixed[0] != 'B') {
        throw new IOException("bad endianness " + fixed[0]);
      }
      Reader head = new Reader(fixed, little);
      head.pos = 4;
      long bodyLength = head.u32();
      long serial = head.u32();
      long fieldsLength = head.u32();
      if (bodyLength > MAX || fieldsLength > MAX) {
        throw new IOException("message too large");
      }
      int padded = (int) ((fieldsLength + 7) & ~7L);
      byte[] header = Arrays.copyOf(fixed, 16 + padded);
      in.readFully(header, 16, padded);
      byte[] body = new byte[(int) bodyLength];
      in.readFully(body);
      Reader r = new Reader(header, little);
      r.pos = 16;
      Map<Integer, Object> fields = new ConcurrentHashMap<>();
      while (r.pos < 16 + fieldsLength) {
        r.align(8);
        int code = r.u8();
        String sig = r.signature();
        fields.put(code, r.value(sig, 0));
      }
      String signature = (String) fields.getOrDefault(8, "");
      Reader b = new Reader(body, little);
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < signature.length(); i = end(signature, i)) {
        values.add(b.value(signature, i));
      }
      return new Message(fixed[1], serial, fixed[2], fields, signature, values);
    }

    /** A little-endian message; {@code fields} are {code, signature, value} triples. */
    static byte[] encode(int type, long serial, List<Object[]> fields, String signature, Object... body) {
      Writer b = new Writer();
      int i = 0;
      for (Object value : body) {
        int next = end(signature, i);
        b.value(signature.substring(i, next), value);
        i = next;
      }
      List<Object[]> all = new ArrayList<>(fields);
      if (!signature.isEmpty()) {
        all.add(field(8, "g", signature));
      }
      Writer h = new Writer();
      h.u8('l');
      h.u8(type);
      h.u8(0);
      h.u8(1);
      h.u32(b.length());
      h.u32(serial);
      h.u32(0); // patched below
      int start = h.length();
      for (Object[] f : all) {
        h.align(8);
        h.u8((Integer) f[0]);
        h.signature((String) f[1]);
        h.value((String) f[1], f[2]);
      }
      h.patch(12, h.length() - start);
      h.align(8);
      h.bytes(b.toByteArray());
      return h.toByteArray();
    }

    /** A raw 16-byte header claiming {@code bodyLength} bytes of body, and nothing else. */
    static byte[] header(int type, long serial, long bodyLength, long fieldsLength) {
      Writer h = new Writer();
      h.u8('l');
      h.u8(type);
      h.u8(0);
      h.u8(1);
      h.u32(bodyLength);
      h.u32(serial);
      h.u32(fieldsLength);
      return h.toByteArray();
    }
  }

  /** The index just after the single complete type that starts at {@code i}. */
  static int end(String sig, int i) {
    char c = sig.charAt(i);
    if (c == 'a') {
      return end(sig, i + 1);
    }
    if (c == '(' || c == '{') {
      char close = c == '(' ? ')' : '}';
      int j = i + 1;
      while (sig.charAt(j) != close) {
        j = end(sig, j);
      }
      return j + 1;
    }
    return i + 1;
  }

  static int alignment(char c) {
    return switch (c) {
      case 'y', 'g', 'v' -> 1;
      case 'n', 'q' -> 2;
      case 'x', 't', 'd', '(', '{' -> 8;
      default -> 4;
    };
  }

  /** Marshals values of a signature, little-endian. */
  static final class Writer {
    private byte[] buf = new byte[256];
    private int len;

    int length() {
      return len;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, len);
    }

    void u8(int b) {
      if (len == buf.length) {
        buf = Arrays.copyOf(buf, len * 2);
      }
      buf[len++] = (byte) b;
    }

    void bytes(byte[] bytes) {
      for (byte b : bytes) {
        u8(b);
      }
    }

    void align(int a) {
      while (len % a != 0) {
        u8(0);
      }
    }

    void u32(long v) {
      align(4);
      for (int i = 0; i < 4; i++) {
        u8((int) (v >>> (8 * i)));
      }
    }

    void patch(int at, long v) {
      for (int i = 0; i < 4; i++) {
        buf[at + i] = (byte) (v >>> (8 * i));
      }
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      u32(b.length);
      bytes(b);
      u8(0);
    }

    void signature(String s) {
      byte[] b = s.getBytes(StandardCharsets.US_ASCII);
      u8(b.length);
      bytes(b);
      u8(0);
    }

    void value(String sig, Object v) {
      char c = sig.charAt(0);
      switch (c) {
        case 'y' -> u8(((Number) v).intValue());
        case 'b' -> u32(Boolean.TRUE.equals(v) ? 1 : 0);
        case 'i', 'u' -> u32(((Number) v).longValue());
        case 'x', 't' -> {
          align(8);
          long l = ((Number) v).longValue();
          u32(l & 0xffffffffL);
          u32(l >>> 32);
        }
        case 's', 'o' -> string((String) v);
        case 'g' -> signature((String) v);
        case 'v' -> {
          Variant var = (Variant) v;
          signature(var.signature());
          value(var.signature(), var.value());
        }
        case 'a' -> {
          String element = sig.substring(1, end(sig, 1));
          u32(0);
          int lengthAt = len - 4;
          align(alignment(element.charAt(0)));
          int start = len;
          for (Object e : (List<?>) v) {
            value(element, e);
          }
          patch(lengthAt, len - start);
        }
        case '(' -> {
          align(8);
          List<?> members = (List<?>) v;
          int i = 1;
          for (Object m : members) {
            int next = end(sig, i);
            value(sig.substring(i, next), m);
            i = next;
          }
        }
        default -> throw new IllegalArgumentException("cannot write type " + c);
      }
    }
  }

  /** Unmarshals values of a signature, either endianness. */
  static final class Reader {
    private final byte[] buf;
    private final boolean little;
    int pos;

    Reader(byte[] buf, boolean little) {
      this.buf = buf;
      this.little = little;
    }

    void align(int a) {
      pos = (pos + a - 1) / a * a;
    }

    int u8() {
      return buf[pos++] & 0xff;
    }

    long u32() {
      align(4);
      long v = 0;
      for (int i = 0; i < 4; i++) {
        long b = buf[pos + i] & 0xffL;
        v |= little ? b << (8 * i) : b << (8 * (3 - i));
      }
      pos += 4;
      return v;
    }

    String string() {
      int n = (int) u32();
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n + 1;
      return s;
    }

    String signature() {
      int n = u8();
      String s = new String(buf, pos, n, StandardCharsets.US_ASCII);
      pos += n + 1;
      return s;
    }

    /** The value of the type that starts at {@code i} of {@code sig}. */
    Object value(String sig, int i) {
      char c = sig.charAt(i);
      switch (c) {
        case 'y':
          return u8();
        case 'b':
          return u32() != 0;
        case 'i':
          return (int) u32();
        case 'u':
          return u32();
        case 'x':
        case 't':
          align(8);
          long lo = u32();
          long hi = u32();
          return little ? (hi << 32) | lo : (lo << 32) | hi;
        case 's':
        case 'o':
          return string();
        case 'g':
          return signature();
        case 'v':
          String inner = signature();
          return value(inner, 0);
        case 'a': {
          long n = u32();
          align(alignment(sig.charAt(i + 1)));
          int stop = pos + (int) n;
          List<Object> list = new ArrayList<>();
          while (pos < stop) {
            list.add(value(sig, i + 1));
          }
          return list;
        }
        case '(': {
          align(8);
          List<Object> members = new ArrayList<>();
          int j = i + 1;
          while (sig.charAt(j) != ')') {
            members.add(value(sig, j));
            j = end(sig, j);
          }
          return members;
        }
        default:
          throw new IllegalArgumentException("cannot read type " + c);
      }
    }
  }
}
