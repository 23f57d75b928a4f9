// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.systemd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.userrestart.log.Shown;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.types.Variant;

/**
 * Calls to systemd's manager object as plain D-Bus messages, and what their replies hold.
 * dbus-java's proxies find each method again by reflection on every call; in a process that lives
 * for a second, plain messages cost about 40 % less CPU per call.
 */
final class Calls {
  static final String PATH = "/org/freedesktop/systemd1";
  static final String MANAGER = "org.freedesktop.systemd1.Manager";
  static final String PROPERTIES = "org.freedesktop.DBus.Properties";

  /* Where PID 1's unit objects live; a unit's path is this and its name escaped. */
  private static final String UNIT_PREFIX = PATH + "/unit/";

  /* Where systemd's job objects live; a job path is this and the job's number. */
  private static final String JOB_PREFIX = PATH + "/job/";
  /* A job number is a uint32: at most 10 digits. */
  private static final int MAX_JOB_DIGITS = 10;

  private Calls() {}

  /**
   * A call, made but not sent; a failure to make it is a failure of {@code step}. The destination
   * is null peer to peer, where there is no bus to route by name.
   */
  static MethodCall methodCall(
      String step,
      MessageFactory messages,
      String destination,
      String path,
      String iface,
      String member,
      String signature,
      Object... args)
      throws SystemdException {
    try {
      return messages.createMethodCall(
          null, destination, path, iface, member, (byte) 0, signature, args);
    } catch (DBusException | RuntimeException e) {
      throw SystemdException.failed(
          step, "cannot send " + member + ": " + SystemdException.rootCause(e));
    }
  }

  /**
   * A unit's object path, as systemd makes it (sd_bus_path_encode): every byte but an ASCII letter
   * or digit, and a leading digit, written as _ and two hex digits. What GetUnit would answer,
   * without the call.
   */
  static String unitPath(String unit) {
    StringBuilder path = new StringBuilder(UNIT_PREFIX);
    byte[] bytes = unit.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean plain =
          (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (i > 0 && b >= '0' && b <= '9');
      if (plain) {
        path.append((char) b);
      } else {
        path.append('_').append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
      }
    }
    return path.toString();
  }

  /** As below, for PID 1, whose replies are trusted as to their signature. */
  static Object value(String step, String member, Message reply) throws SystemdException {
    return value(step, member, null, reply);
  }

  /**
   * The first value of a reply (a variant unwrapped), or null when it has none. An error reply
   * keeps its D-Bus name (org.freedesktop.systemd1.NoSuchUnit…): it tells a human what happened.
   * A reply whose signature is not {@code signature}, the method's own, is a protocol error (null:
   * any signature).
   */
  static Object value(String step, String member, String signature, Message reply)
      throws SystemdException {
    if (reply == null) {
      throw SystemdException.timeout(step, member + " got no reply within the deadline");
    }
    if (reply instanceof Error error) {
      throw SystemdException.errorReply(
          step, Shown.of(String.valueOf(error.getName())), errorText(error));
    }
    String sig = reply.getSig() == null ? "" : reply.getSig();
    if (signature != null && !sig.equals(signature)) {
      throw SystemdException.failed(
          step,
          String.format(
              "protocol error: a reply to %s of signature '%s', not '%s'",
              member, Shown.of(sig), signature));
    }
    Object[] values;
    try {
      values = reply.getParameters();
    } catch (DBusException | RuntimeException e) {
      throw SystemdException.failed(
          step, "unreadable reply to " + member + ": " + Shown.of(String.valueOf(e.getMessage())));
    }
    if (values == null || values.length == 0) {
      return null;
    }
    return values[0] instanceof Variant<?> v ? v.getValue() : values[0];
  }

  /** The human text of an error reply: its first argument, by D-Bus convention. */
  static String errorText(Error error) {
    try {
      Object[] values = error.getParameters();
      return values != null && values.length > 0
          ? Shown.of(String.valueOf(values[0]))
          : "(no message)";
    } catch (DBusException | RuntimeException e) {
      return "(unreadable message)";
    }
  }

  /** A job path from a reply, or a protocol error naming what came instead. */
  static String jobPath(String step, Object value) throws SystemdException {
    if (value instanceof DBusPath p && isJobPath(p.getPath())) {
      return p.getPath();
    }
    throw SystemdException.failed(step, "protocol error: not a job path: " + describe(value));
  }

  /** Whether {@code path} is systemd's name of a job: /org/freedesktop/systemd1/job/N. */
  static boolean isJobPath(String path) {
    int digits = path.length() - JOB_PREFIX.length();
    if (!path.startsWith(JOB_PREFIX) || digits < 1 || digits > MAX_JOB_DIGITS) {
      return false;
    }
    for (int i = JOB_PREFIX.length(); i < path.length(); i++) {
      if (path.charAt(i) < '0' || path.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** A unit's state or a job's result as systemd spells them ("active", "done"…): [a-z-]{1,32}. */
  static boolean isWord(String s) {
    if (s.isEmpty() || s.length() > 32) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 'a' || c > 'z') && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** The elements of an array from a reply; empty for anything else. */
  static List<?> list(Object value) {
    if (value instanceof List<?> l) {
      return l;
    }
    return value instanceof Object[] a ? Arrays.asList(a) : List.of();
  }

  /**
   * The rows of a ListUnits* reply, {@code a(ssssssouso)}; malformed rows, names that are no unit
   * names and states that are no words, are left out.
   */
  static List<UnitStatus> units(Object value) {
    List<UnitStatus> rows = new ArrayList<>();
    for (Object row : list(value)) {
      if (row instanceof Object[] f
          && f.length >= 4
          && f[0] instanceof String name
          && UnitName.problem(name) == null
          && f[2] instanceof String loadState
          && isWord(loadState)
          && f[3] instanceof String activeState
          && isWord(activeState)) {
        rows.add(new UnitStatus(name, loadState, activeState));
      }
    }
    return rows;
  }

  /* What came instead of a path, cut short: an array is not printed whole. */
  static String describe(Object value) {
    if (value instanceof Object[] a) {
      return "an array of " + a.length;
    }
    if (value instanceof List<?> l) {
      return "a list of " + l.size();
    }
    return Shown.of(String.valueOf(value));
  }
}
