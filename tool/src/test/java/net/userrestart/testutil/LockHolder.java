// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.testutil;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.userrestart.marks.Lock;
import net.userrestart.marks.MarkStore;
import net.userrestart.marks.MarkStoreException;

/** Takes a mark store's lock in another JVM, as a second run of the tool would. */
@SuppressWarnings("try") // locks and peers held for their side effect
public final class LockHolder {
  private LockHolder() {}

  /** Usage: LockHolder ROOT hold|try. Prints locked, busy or error. */
  public static void main(String[] args) throws Exception {
    MarkStore store = new MarkStore(Path.of(args[0]));
    try (Lock lock = store.lock()) {
      System.out.println("locked");
      System.out.flush();
      if (args[1].equals("hold")) {
        System.in.read(); // until the test closes our stdin
      }
    } catch (MarkStoreException e) {
      System.out.println(e.busy() ? "busy" : "error " + e.getMessage());
    }
    System.out.flush();
  }

  private static ProcessBuilder builder(Path root, String mode) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
            root.toString(), mode)
        .redirectError(ProcessBuilder.Redirect.INHERIT);
  }

  /** Starts a process that holds the lock of the store at {@code root} until {@link #stop}. */
  public static Process start(Path root) throws IOException {
    Process p = builder(root, "hold").start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    String line = out.readLine();
    if (!"locked".equals(line)) {
      p.destroyForcibly();
      throw new IOException("the lock holder said " + line);
    }
    return p;
  }

  public static void stop(Process p) throws InterruptedException {
    try {
      p.getOutputStream().close();
    } catch (IOException ignored) {
      // It is gone already.
    }
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  /** Tries the lock once from another process: "locked" or "busy". */
  public static String tryOnce(Path root) throws IOException, InterruptedException {
    Process p = builder(root, "try").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return out;
  }
}
