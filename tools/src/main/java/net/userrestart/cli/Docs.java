// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.userrestart.marks.MarkStore;
import net.userrestart.sandbox.cli.SandboxMain;
import net.userrestart.systemd.Host;
import net.userrestart.systemd.SystemManager;
import net.userrestart.systemd.UserManagerConnector;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes the man page source and the bash completion script from the command tree of {@link
 * Main#commandLine}, so that both follow the annotations. {@code mvn package} runs it from the test
 * class path (picocli-codegen is a test dependency and never ships), then asciidoctor turns the
 * AsciiDoc into troff; see pom.xml.
 *
 * <pre>Docs TEMPLATE MAN_ADOC COMPLETION VERSION</pre>
 *
 * <p>TEMPLATE is the hand-written page, src/main/man/systemd-user-restart.8.adoc. Each of its lines
 * {@code // generated: PART} is replaced by the AsciiDoc that picocli-codegen's ManPageGenerator
 * writes for that part, without the generator's own headings (the template has the man-style ones):
 *
 * <dl>
 *   <dt>version <dd>the attribute {@code project-version}, set to VERSION
 *   <dt>synopsis <dd>the synopsis of the main command and of every subcommand
 *   <dt>description, arguments, options, exit-status <dd>those of the main command
 *   <dt>commands <dd>one subsection per subcommand, at any depth: synopsis, description,
 *       arguments and options, exit status, footer
 *   <dt>footer <dd>the main command's footer (its examples): lines indented by four spaces or more
 *       become a literal block, the others paragraphs
 * </dl>
 *
 * <p>Every part must appear once, and none may come out empty, so that a new subcommand, option or
 * exit code cannot miss the page.
 */
public final class Docs {
  static final String NAME = "systemd-user-restart";
  static final List<String> PARTS =
      List.of(
          "version",
          "synopsis",
          "description",
          "arguments",
          "options",
          "commands",
          "exit-status",
          "footer");

  private static final Pattern MARKER =
      Pattern.compile("^// generated: (\\S+)[ \\t]*$", Pattern.MULTILINE);
  private static final Pattern SECTION =
      Pattern.compile(
          "// tag::picocli-generated-man-section-([a-z-]+)\\[\\]\\R(.*?)"
              + "// end::picocli-generated-man-section-\\1\\[\\]",
          Pattern.DOTALL);
  private static final Pattern HEADING = Pattern.compile("^== *(.*?)[ \\t]*$", Pattern.MULTILINE);

  private Docs() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      throw new IllegalArgumentException("usage: Docs TEMPLATE MAN_ADOC COMPLETION VERSION");
    }
    String template = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    write(Path.of(args[1]), manPage(template, commandLine(), args[3]));
    // A fresh tree: the man page generator set its own colour scheme on the first one.
    write(Path.of(args[2]), completion(commandLine()));
  }

  /**
   * The real command tree, with a host that is never asked anything, and the sandbox, which the
   * launcher starts for its first argument {@code sandbox}.
   */
  static CommandLine commandLine() {
    Context context = new Context(NO_HOST, new MarkStore(MarkStore.DEFAULT_ROOT), Map.of());
    return Main.commandLine(context).addSubcommand("sandbox", SandboxMain.commandLine(Map.of()));
  }

  static String completion(CommandLine cl) {
    return AutoComplete.bash(NAME, cl);
  }

  /** The template with its {@code // generated: PART} lines replaced. */
  static String manPage(String template, CommandLine cl, String version) {
    CommandSpec root = cl.getCommandSpec();
    List<CommandSpec> subcommands = new ArrayList<>();
    collect(root, subcommands);
    Map<CommandSpec, Map<String, String>> generated = new HashMap<>();
    generated.put(root, generate(root));
    subcommands.forEach(s -> generated.put(s, generate(s)));

    Set<String> seen = new LinkedHashSet<>();
    Matcher m = MARKER.matcher(template);
    StringBuilder page = new StringBuilder();
    while (m.find()) {
      String part = m.group(1);
      if (!seen.add(part)) {
        throw new IllegalArgumentException("the template has '// generated: " + part + "' twice");
      }
      String text =
          switch (part) {
            case "version" -> ":project-version: " + version;
            case "synopsis" -> synopses(root, subcommands, generated);
            case "description" -> generated.get(root).get("description");
            case "arguments" -> generated.get(root).get("arguments");
            case "options" -> headings(generated.get(root).get("options"), "=== ");
            case "commands" -> commands(root, subcommands, generated);
            case "exit-status" -> exitStatus(generated.get(root).get("exit-status"));
            case "footer" -> footer(root);
            default -> throw new IllegalArgumentException(
                "unknown part in the template: '// generated: " + part + "'; known: " + PARTS);
          };
      if (text.isBlank()) {
        throw new IllegalStateException(
            "'// generated: " + part + "' comes out empty: the command tree has no " + part
                + "; drop the part, with its heading, from the template and from Docs.PARTS");
      }
      m.appendReplacement(page, Matcher.quoteReplacement(text.strip()));
    }
    m.appendTail(page);
    List<String> missing = new ArrayList<>(PARTS);
    missing.removeAll(seen);
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("the template lacks '// generated: PART' for " + missing);
    }
    return page.toString();
  }

  /** The visible subcommands at any depth, parents first. */
  private static void collect(CommandSpec spec, List<CommandSpec> into) {
    Set<CommandSpec> done = new LinkedHashSet<>(); // aliases map to the same spec
    for (CommandLine sub : spec.subcommands().values()) {
      CommandSpec s = sub.getCommandSpec();
      if (!s.usageMessage().hidden() && done.add(s)) {
        into.add(s);
        collect(s, into);
      }
    }
  }

  /** ManPageGenerator's page for one command, cut into its tagged sections, headings removed. */
  private static Map<String, String> generate(CommandSpec spec) {
    // A fixed width: no terminal probing at build time, and the same output on every machine.
    spec.usageMessage().autoWidth(false).width(80);
    StringWriter text = new StringWriter();
    try (PrintWriter pw = new PrintWriter(text)) {
      ManPageGenerator.writeSingleManPage(pw, spec);
    }
    Map<String, String> sections = new HashMap<>();
    Matcher m = SECTION.matcher(text.toString());
    while (m.find()) {
      String body = m.group(2).strip();
      Matcher heading = HEADING.matcher(body);
      if (heading.lookingAt()) {
        body = body.substring(heading.end()).strip();
      }
      sections.put(m.group(1), body);
    }
    for (String needed : List.of("synopsis", "description", "arguments", "options", "exit-status")) {
      if (!sections.containsKey(needed)) {
        throw new IllegalStateException(
            "ManPageGenerator wrote no '" + needed + "' section for " + spec.qualifiedName());
      }
    }
    return sections;
  }

  /** One paragraph per command; troff fills the lines, so the generator's wrapping goes. */
  private static String synopses(
      CommandSpec root, List<CommandSpec> subcommands, Map<CommandSpec, Map<String, String>> generated) {
    List<String> lines = new ArrayList<>();
    lines.add(oneLine(generated.get(root).get("synopsis")));
    subcommands.forEach(s -> lines.add(oneLine(generated.get(s).get("synopsis"))));
    return String.join("\n\n", lines);
  }

  private static String oneLine(String text) {
    return text.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /** A subsection per subcommand, titled with its words after the main command's name. */
  private static String commands(
      CommandSpec root, List<CommandSpec> subcommands, Map<CommandSpec, Map<String, String>> generated) {
    StringBuilder out = new StringBuilder();
    for (CommandSpec s : subcommands) {
      Map<String, String> g = generated.get(s);
      String words = s.qualifiedName(" ").substring(root.qualifiedName(" ").length()).strip();
      out.append("=== ").append(words).append("\n\n");
      out.append(oneLine(g.get("synopsis"))).append("\n\n");
      append(out, g.get("description"));
      // Arguments then options, in one list, as in --help; option group headings become titles.
      append(out, join(g.get("arguments"), headings(g.get("options"), ".")));
      String exit = exitStatus(g.get("exit-status"));
      append(out, exit.isEmpty() ? "" : ".Exit status\n" + exit);
      append(out, footer(s));
    }
    return out.toString();
  }

  private static void append(StringBuilder out, String block) {
    if (!block.isBlank()) {
      out.append(block.strip()).append("\n\n");
    }
  }

  private static String join(String a, String b) {
    return a.isBlank() ? b : b.isBlank() ? a : a + "\n\n" + b;
  }

  /** The generator's "== Heading" of an option group, as {@code prefix + Heading}. */
  private static String headings(String text, String prefix) {
    return HEADING.matcher(text).replaceAll(r -> Matcher.quoteReplacement(prefix + r.group(1)));
  }

  /**
   * The generator formats descriptions but leaves the %n of exit code descriptions as is; troff
   * fills lines anyway, so it becomes a space, as in a description.
   */
  private static String exitStatus(String text) {
    return text.replaceAll(" *%n *", " ").replaceAll(" +(?=\\R|$)", "");
  }

  /**
   * The footer as paragraphs and literal blocks: lines indented by four spaces or more are shell
   * commands; the others, trimmed, are prose. Blank lines separate paragraphs.
   */
  static String footer(CommandSpec spec) {
    List<String> lines = new ArrayList<>();
    for (String line : spec.usageMessage().footer()) {
      lines.addAll(String.format(Locale.ROOT, line).lines().toList());
    }
    StringBuilder out = new StringBuilder();
    List<String> block = new ArrayList<>();
    boolean literal = false;
    for (String line : lines) {
      boolean blank = line.isBlank();
      boolean command = !blank && line.startsWith("    ");
      if (!block.isEmpty() && (blank || command != literal)) {
        flush(out, block, literal);
      }
      if (!blank) {
        block.add(command ? line : line.strip());
        literal = command;
      }
    }
    flush(out, block, literal);
    return out.toString().strip();
  }

  private static void flush(StringBuilder out, List<String> block, boolean literal) {
    if (block.isEmpty()) {
      return;
    }
    if (literal) {
      int indent = block.stream().mapToInt(Docs::indent).min().orElse(0);
      out.append("....\n");
      block.forEach(l -> out.append(l.substring(indent).stripTrailing()).append('\n'));
      out.append("....\n\n");
    } else {
      out.append(String.join("\n", block)).append("\n\n");
    }
    block.clear();
  }

  private static int indent(String line) {
    return line.length() - line.stripLeading().length();
  }

  private static void write(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(file, text.endsWith("\n") ? text : text + "\n", StandardCharsets.UTF_8);
  }

  /** Building the command tree asks the host nothing; running a command is not possible. */
  private static final Host NO_HOST =
      new Host() {
        @Override
        public Optional<String> offlineReason() {
          return Optional.of("generating documentation");
        }

        @Override
        public boolean isRoot() {
          return false;
        }

        @Override
        public SystemManager systemManager(Duration timeout) {
          throw new UnsupportedOperationException("documentation only");
        }

        @Override
        public UserManagerConnector userManagers() {
          throw new UnsupportedOperationException("documentation only");
        }

        @Override
        public String userName(int uid) {
          return Integer.toString(uid);
        }

        @Override
        public OptionalInt userId(String nameOrUid) {
          return OptionalInt.empty();
        }

        @Override
        public int cpus() {
          return 1;
        }
      };
}
