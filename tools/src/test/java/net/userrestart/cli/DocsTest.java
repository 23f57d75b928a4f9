// SPDX-License-Identifier: LGPL-2.1-or-later
package net.userrestart.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The man page and the completion script, made as {@code mvn package} makes them (Docs, then
 * asciidoctor) from the real command tree, then read back the way a user meets them: with man and
 * with bash. Needs asciidoctor, man-db and bash (.ci/setup installs them); no root, no systemd.
 */
class DocsTest {
  private static final Path TEMPLATE =
      Path.of(System.getProperty("basedir", "."), "src/main/man/systemd-user-restart.8.adoc");
  private static final List<String> SECTIONS =
      List.of(
          "NAME",
          "SYNOPSIS",
          "DESCRIPTION",
          "OPTIONS",
          "COMMANDS",
          "EXIT STATUS",
          "EXAMPLES",
          "FILES",
          "ENVIRONMENT",
          "SEE ALSO");
  /** man's environment: an 80-column terminal, UTF-8, no pager. */
  private static final Map<String, String> MAN_ENV =
      Map.of("MANWIDTH", "80", "LC_ALL", "C.UTF-8", "MANPAGER", "cat");
  /** Where man puts the first line of a literal block, such as an example command. */
  private static final String LITERAL = "\n           ";

  @TempDir static Path dir;
  private static String adoc;
  private static Path page;
  private static Path completion;
  /** The page as man shows it, without formatting. */
  private static String rendered;

  @BeforeAll
  static void generate() throws Exception {
    String[][] tools = {{"asciidoctor", "asciidoctor"}, {"man", "man-db"}, {"col", "man-db"}};
    for (String[] tool : tools) {
      if (run(Map.of(), "bash", "-c", "command -v \"$1\"", "_", tool[0]).code != 0) {
        fail(tool[0] + " not found: install the Debian package " + tool[1] + " (.ci/setup does)");
      }
    }
    Path source = dir.resolve("systemd-user-restart.8.adoc");
    page = dir.resolve("systemd-user-restart.8");
    completion = dir.resolve("systemd-user-restart");
    Docs.main(
        new String[] {TEMPLATE.toString(), source.toString(), completion.toString(), "0.0-test"});
    adoc = Files.readString(source, StandardCharsets.UTF_8);
    rendered = show(toTroff(source, page));
  }

  /** asciidoctor with the arguments of the man-page execution in pom.xml; no warning allowed. */
  private static Path toTroff(Path source, Path out) throws Exception {
    Result r =
        run(
            Map.of(),
            "asciidoctor",
            "--backend=manpage",
            "--failure-level=WARN",
            "--out-file=" + out,
            source.toString());
    assertEquals(0, r.code, "asciidoctor failed:\n" + r.err);
    assertEquals("", r.err, "asciidoctor warned");
    return out;
  }

  /** MANWIDTH=80 man -l PAGE | col -bx */
  private static String show(Path troff) throws Exception {
    Result r =
        run(MAN_ENV, "bash", "-c", "set -o pipefail; man -l \"$1\" | col -bx", "_", troff.toString());
    assertEquals(0, r.code, "man -l failed:\n" + r.err);
    return r.out;
  }

  // --- the man page ---

  @Test
  void isSection8WithTheSectionsOfASystemdManPageInOrder() {
    assertTrue(rendered.startsWith("SYSTEMD-USER-RESTART(8)"), rendered.lines().findFirst().orElse(""));
    List<String> lines = rendered.lines().toList();
    int previous = -1;
    for (String section : SECTIONS) {
      int at = lines.indexOf(section);
      assertTrue(at > previous, section + " missing or out of order:\n" + rendered);
      previous = at;
    }
  }

  @Test
  void namesEveryOptionAndExitCodeOfTheMainCommand() {
    CommandSpec main = Docs.commandLine().getCommandSpec();
    String options = section(rendered, "OPTIONS");
    for (OptionSpec option : visibleOptions(main)) {
      for (String name : option.names()) {
        assertTrue(words(options).contains(name), name + " missing from OPTIONS:\n" + options);
      }
      assertTrue(
          flat(options).contains(description(option)),
          "description of " + option.longestName() + " missing or mangled:\n" + options);
    }
    String exit = section(rendered, "EXIT STATUS");
    main.usageMessage()
        .exitCodeList()
        .forEach(
            (code, text) -> {
              assertTrue(exit.lines().anyMatch(l -> l.strip().equals(code.strip())), code + ":\n" + exit);
              assertTrue(flat(exit).contains(flat(text)), text + ":\n" + exit);
            });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("subcommands")
  void documentsEverySubcommandWithItsOptions(String words) {
    CommandSpec spec = spec(words);
    String sub = words.substring(Docs.NAME.length() + 1);
    assertTrue(flat(section(rendered, "SYNOPSIS")).contains(words + " "), words + " not in SYNOPSIS");
    String text = flat(subsection(section(rendered, "COMMANDS"), sub));
    String description = String.format(Locale.ROOT, spec.usageMessage().description()[0]);
    assertTrue(text.contains(flat(description)), "description of " + words + ":\n" + text);
    for (OptionSpec option : visibleOptions(spec)) {
      for (String name : option.names()) {
        assertTrue(words(text).contains(name), name + " of " + words + " missing");
      }
      assertTrue(text.contains(description(option)), option.longestName() + " of " + words);
    }
  }

  @Test
  void documentsFilesEnvironmentAndRelatedPages() {
    String files = flat(section(rendered, "FILES"));
    for (String path :
        List.of(
            "/run/systemd-user-restart/restart/UNIT",
            "/run/systemd-user-restart/lock",
            "/run/user/UID/systemd/private")) {
      assertTrue(files.contains(path), path + " missing from FILES");
    }
    String environment = section(rendered, "ENVIRONMENT");
    for (String variable : List.of("$SYSTEMD_OFFLINE", "$SYSTEMD_LOG_LEVEL", "$JOURNAL_STREAM")) {
      assertTrue(
          environment.lines().anyMatch(l -> l.strip().equals(variable)), variable + ":\n" + environment);
    }
    String seeAlso = flat(section(rendered, "SEE ALSO"));
    for (String ref : List.of("systemctl(1)", "user@.service(5)", "systemd.special(7)", "rpm(8)")) {
      assertTrue(seeAlso.contains(ref), ref + " missing from SEE ALSO: " + seeAlso);
    }
  }

  @Test
  void showsTheExamplesOfTheFooterAsCommandLines() {
    String examples = section(rendered, "EXAMPLES");
    List<String> commands =
        Arrays.stream(Docs.commandLine().getCommandSpec().usageMessage().footer())
            .filter(l -> l.startsWith("    "))
            .map(String::strip)
            .toList();
    assertFalse(commands.isEmpty(), "the main command's footer has no example commands");
    for (String command : commands) {
      // One line each, unwrapped, indented as a literal block.
      assertTrue(examples.contains(LITERAL + command + "\n"), command + ":\n" + examples);
    }
  }

  @Test
  void rendersWithoutTroffWarnings() throws Exception {
    Result warnings = run(MAN_ENV, "man", "--warnings", "-l", page.toString());
    assertEquals(0, warnings.code, warnings.err);
    assertEquals("", warnings.err);
  }

  @Test
  void leavesNoPicocliOrTemplateMarkupInTheSource() {
    for (String leftover :
        List.of("%n", "${", "xref:", "picocli-generated", "[%hardbreaks]", "restart(1)")) {
      assertFalse(adoc.contains(leftover), "'" + leftover + "' left in the generated AsciiDoc");
    }
    assertFalse(adoc.lines().anyMatch(l -> l.startsWith("// generated:")), "a part not filled in");
    assertTrue(adoc.contains("\n= systemd-user-restart(8)\n"), "not a section 8 page");
    String footer = rendered.strip().lines().reduce((a, b) -> b).orElse("");
    assertTrue(footer.contains("systemd-user-restart 0.0-test"), footer);
  }

  @Test
  void refusesATemplateThatLosesOrRepeatsOrInventsAPart() throws IOException {
    String template = Files.readString(TEMPLATE, StandardCharsets.UTF_8);
    CommandLine cl = Docs.commandLine();
    String lost = template.replace("// generated: commands\n", "");
    Exception e = assertThrows(IllegalArgumentException.class, () -> Docs.manPage(lost, cl, "1"));
    assertTrue(e.getMessage().contains("commands"), e.getMessage());
    String twice = template + "\n// generated: options\n";
    assertThrows(IllegalArgumentException.class, () -> Docs.manPage(twice, cl, "1"));
    String unknown = template + "\n// generated: colophon\n";
    assertThrows(IllegalArgumentException.class, () -> Docs.manPage(unknown, cl, "1"));
  }

  /** What a later subcommand may bring: an option group with a heading, %n, exit codes, a footer. */
  @Command(
      name = "probe",
      description = {"Probe the probes.%nSecond line."},
      exitCodeListHeading = "%nExit status:%n",
      exitCodeList = {"0:Probed.", "7:Not probed;%nnothing changed."},
      footerHeading = "%nExamples:%n",
      footer = {"  Probe once:", "    systemd-user-restart probe --once"})
  static final class Probe implements Runnable {
    @Option(names = "--once", description = "Only once.")
    boolean once;

    @ArgGroup(heading = "Probe selection:%n", exclusive = true)
    Selection selection;

    static final class Selection {
      @Option(names = "--deep", description = "Deeply.")
      boolean deep;

      @Option(names = "--shallow", description = "Shallowly.")
      boolean shallow;
    }

    @Override
    public void run() {}
  }

  @Test
  void aNewSubcommandGetsItsSynopsisAndSubsection() throws Exception {
    CommandLine cl = Docs.commandLine().addSubcommand(new Probe());
    String source = Docs.manPage(Files.readString(TEMPLATE, StandardCharsets.UTF_8), cl, "1");
    assertFalse(source.contains("%n"));
    Path file = dir.resolve("probe.adoc");
    Files.writeString(file, source, StandardCharsets.UTF_8);
    String shown = show(toTroff(file, dir.resolve("probe.8")));
    assertTrue(flat(section(shown, "SYNOPSIS")).contains("systemd-user-restart probe [--once]"));
    String probe = subsection(section(shown, "COMMANDS"), "probe");
    for (String expected :
        List.of("Probe the probes.", "Second line.", "Only once.", "Probe selection:", "Deeply.")) {
      assertTrue(probe.contains(expected), expected + ":\n" + probe);
    }
    assertTrue(flat(probe).contains("7 Not probed; nothing changed."), probe);
    assertTrue(probe.contains(LITERAL + "systemd-user-restart probe --once\n"), probe);
  }

  // --- bash completion ---

  @Test
  void completionIsValidBash() throws Exception {
    Result syntax = run(Map.of(), "bash", "-n", completion.toString());
    assertEquals(0, syntax.code, syntax.err);
    assertEquals("", syntax.err);
  }

  @Test
  void completionOffersTheSubcommands() throws Exception {
    List<String> offered = complete(Docs.NAME, "");
    List<String> expected =
        subcommands()
            .map(w -> w.substring(Docs.NAME.length() + 1))
            .filter(w -> !w.contains(" "))
            .toList();
    assertFalse(expected.isEmpty());
    assertTrue(offered.containsAll(expected), "offered " + offered + ", expected " + expected);
  }

  @ParameterizedTest(name = "{0} --")
  @MethodSource("commands")
  void completionOffersTheLongOptions(String words) throws Exception {
    List<String> line = new ArrayList<>(List.of(words.split(" ")));
    line.add("--");
    List<String> offered = complete(line.toArray(String[]::new));
    List<String> expected =
        visibleOptions(spec(words)).stream()
            .flatMap(o -> Arrays.stream(o.names()))
            .filter(n -> n.startsWith("--"))
            .toList();
    assertFalse(expected.isEmpty());
    assertTrue(offered.containsAll(expected), "offered " + offered + ", expected " + expected);
    assertTrue(offered.stream().allMatch(o -> o.startsWith("--")), "offered " + offered);
  }

  /**
   * Sources the script in a clean bash, finds the function it registered with {@code complete -F},
   * calls it as bash would for the command line {@code words} (the last one being completed), and
   * returns COMPREPLY.
   */
  private static List<String> complete(String... words) throws Exception {
    String script =
        String.join(
            "\n",
            "source \"$1\" || exit 1",
            "shift",
            "compopt() { :; }  # the builtin works only while bash itself completes",
            "spec=$(complete -p " + Docs.NAME + ") || exit 1",
            "f=${spec#*-F }; f=${f%% *}",
            "COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1))",
            "COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}",
            "\"$f\" \"$1\" \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"",
            "printf '%s\\n' \"${COMPREPLY[@]}\"");
    List<String> command = new ArrayList<>(List.of("bash", "--norc", "--noprofile", "-c", script));
    command.add("_");
    command.add(completion.toString());
    command.addAll(List.of(words));
    Result r = run(Map.of(), command.toArray(String[]::new));
    assertEquals(0, r.code, r.err);
    assertEquals("", r.err);
    return r.out.lines().filter(l -> !l.isEmpty()).toList();
  }

  // --- the command tree ---

  /** Every visible subcommand, as words from the main command's name down. */
  static Stream<String> subcommands() {
    List<String> all = new ArrayList<>();
    collect(Docs.commandLine().getCommandSpec(), all);
    return all.stream();
  }

  static Stream<String> commands() {
    return Stream.concat(Stream.of(Docs.NAME), subcommands());
  }

  private static void collect(CommandSpec spec, List<String> into) {
    for (CommandLine sub : spec.subcommands().values()) {
      CommandSpec s = sub.getCommandSpec();
      if (!s.usageMessage().hidden() && !into.contains(s.qualifiedName(" "))) {
        into.add(s.qualifiedName(" "));
        collect(s, into);
      }
    }
  }

  private static CommandSpec spec(String words) {
    CommandLine cl = Docs.commandLine();
    for (String word : words.split(" ")) {
      if (!word.equals(Docs.NAME)) {
        cl = cl.getSubcommands().get(word);
      }
    }
    return cl.getCommandSpec();
  }

  private static List<OptionSpec> visibleOptions(CommandSpec spec) {
    return spec.options().stream().filter(o -> !o.hidden()).toList();
  }

  // --- reading a rendered page ---

  /** The lines of one section, after its heading, up to the next heading. */
  private static String section(String text, String heading) {
    List<String> lines = text.lines().toList();
    int start = lines.indexOf(heading);
    assertTrue(start >= 0, "no section " + heading);
    int end = start + 1;
    while (end < lines.size() && (lines.get(end).isEmpty() || lines.get(end).startsWith(" "))) {
      end++;
    }
    return String.join("\n", lines.subList(start + 1, end)) + "\n";
  }

  /** A subsection of COMMANDS (man indents its title by three spaces), up to the next one. */
  private static String subsection(String commands, String title) {
    List<String> lines = commands.lines().toList();
    int start = lines.indexOf("   " + title);
    assertTrue(start >= 0, "no subsection " + title + ":\n" + commands);
    int end = start + 1;
    while (end < lines.size() && !lines.get(end).matches(" {3}\\S.*")) {
      end++;
    }
    return String.join("\n", lines.subList(start + 1, end)) + "\n";
  }

  /** Text as one line: man's line breaks, indentation and typographic apostrophes undone. */
  private static String flat(String text) {
    return text.replace('\u2019', '\'').replaceAll("\\s+", " ").strip();
  }

  private static String description(OptionSpec option) {
    return flat(String.format(Locale.ROOT, String.join(" ", option.description())));
  }

  /** The words of a text, cut at "=ARG", brackets, bars and commas, to find option names. */
  private static List<String> words(String text) {
    return Arrays.stream(text.split("[\\s,\\[\\]|]+")).map(w -> w.replaceAll("=.*", "")).toList();
  }

  // --- processes ---

  private record Result(int code, String out, String err) {}

  private static Result run(Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + String.join(" ", command));
    }
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
