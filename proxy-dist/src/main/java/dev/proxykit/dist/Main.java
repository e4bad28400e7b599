package dev.proxykit.dist;

import ch.qos.logback.classic.LoggerContext;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.dist.CommandLine.UsageException;
import dev.proxykit.runtime.ProxyServer;
import dev.proxykit.runtime.StartupException;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.ConfigProblems;
import dev.proxykit.runtime.config.PluginCheck;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginException;
import dev.proxykit.runtime.plugin.PluginInfo;
import dev.proxykit.runtime.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * The launcher behind {@code bin/proxykit}:
 * {@code proxykit [--config FILE] [--check] [--demo] [--list-plugins] [--prepare] [--help] [--version]}.
 *
 * <p>The installation folder ("home") is the system property {@code proxykit.home}, which {@code bin/proxykit} sets,
 * or the working directory. Without {@code --config} the configuration is {@code <home>/conf/proxykit.conf}.
 *
 * <p>Exit status: {@value #EXIT_OK} when done (after {@code --check} found nothing, or after SIGTERM/SIGINT stopped a
 * running proxy gracefully, or its start-up), {@value #EXIT_INVALID} for a bad command line, an unreadable or invalid
 * configuration, a plugin problem or an address that cannot be bound, {@value #EXIT_FAILURE} for anything else.
 *
 * <p>Not thread-safe: one instance runs one command line, on the calling thread, which it blocks while the proxy
 * serves.
 */
public final class Main {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_INVALID = 2;
    /** Set by the launcher to the class-data archive the JVM records at this run's exit, if it records one. */
    static final String CDS_RECORDING = "PROXYKIT_CDS_RECORDING";

    private final Path home;
    private final PrintStream out;
    private final PrintStream err;
    /** Whether this run served until stopped, or prepared: see {@link #markArchiveWorthKeeping}. */
    private boolean servedOrPrepared;

    /**
     * @param home the installation folder, against which the default configuration file and {@code plugins-dir}
     *             resolve
     * @param out  where results go ({@code --help}, {@code --version}, {@code --check}, {@code --list-plugins}, the
     *             demo's banner)
     * @param err  where problems go
     */
    Main(Path home, PrintStream out, PrintStream err) {
        this.home = Objects.requireNonNull(home, "home");
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
    }

    /**
     * Runs the command line and exits the JVM with its status; while a proxy is serving, returns only when
     * SIGTERM or SIGINT has stopped it (see {@link GracefulStop}).
     */
    public static void main(String[] args) {
        PrintStream results = System.out;
        if (resultOnStdout(args)) {
            // whatever logs to the console now goes to stderr, also from an edited conf/logback.xml (logback's console
            // appender writes to System.out as it is at each write): standard output is the result alone, as with
            // nginx -t
            System.setOut(System.err);
        }
        Main main = new Main(home(), results, System.err);
        int status = main.run(args);
        if (status == EXIT_OK && main.servedOrPrepared) {
            markArchiveWorthKeeping(System.getenv(CDS_RECORDING));
        }
        results.flush();
        System.err.flush();
        System.exit(status);
    }

    /**
     * Marks the class-data archive the JVM writes as this run exits ({@code archive}, from the launcher; null when it
     * records none) as one of a run that served (or of a {@code --prepare} that succeeded): the launcher records
     * again an archive without the mark, which a run that stopped before serving leaves, with a fraction of the
     * classes (every start that mapped it was slow: 1.2-1.3 s against 0.7).
     */
    static void markArchiveWorthKeeping(String archive) {
        if (archive == null || archive.isEmpty()) {
            return;
        }
        try {
            Files.writeString(Path.of(archive + ".ok"), "written by a run that served; the launcher maps " + archive
                    + " only with this file beside it" + System.lineSeparator());
        } catch (IOException | RuntimeException e) {
            System.err.println("proxykit: cannot mark the class-data archive " + archive + " as complete ("
                    + e.getMessage() + "); the next start records it again");
        }
    }

    /**
     * Whether {@code args} ask for a command whose standard output is its result: {@code --check},
     * {@code --list-plugins}.
     */
    static boolean resultOnStdout(String... args) {
        try {
            CommandLine command = CommandLine.parse(args);
            return command.check() || command.listPlugins();
        } catch (UsageException e) {
            return false; // run() says what is wrong
        }
    }

    /** {@code proxykit.home}, or the working directory; absolute. */
    static Path home() {
        String property = System.getProperty("proxykit.home", "");
        return (property.isEmpty() ? Path.of("") : Path.of(property)).toAbsolutePath().normalize();
    }

    /** The version in this JAR's manifest ({@code Implementation-Version}), or {@code unknown} outside a JAR. */
    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version == null ? "unknown" : version;
    }

    /**
     * Runs one command line and returns its exit status. Blocks while a proxy serves; see {@link #main(String[])}.
     */
    int run(String... args) {
        CommandLine command;
        try {
            command = CommandLine.parse(args);
        } catch (UsageException e) {
            err.println("proxykit: " + e.getMessage());
            err.print(usage());
            return EXIT_INVALID;
        }
        if (command.help()) {
            out.print(usage());
            return EXIT_OK;
        }
        if (command.version()) {
            out.println("proxykit " + version());
            return EXIT_OK;
        }
        if (command.check() || command.listPlugins()) {
            ShippedLogging.forCommands(); // their output is the result: no log lines among it
        } else if (!command.prepare()) {
            GracefulStop.installForStartUp(err);
            LogReopen.install();
        }
        try {
            Path file = configFile(command);
            // a configuration with problems reports its plugins' problems with them, not in a second run
            PluginCheck plugins = ProxyServer.pluginCheck(Main.class.getClassLoader());
            ProxySettings settings = command.demo()
                    ? ConfigLoader.parse(Demo.config(file, ConfigFactory.systemProperties()), Demo.ORIGIN, home,
                            plugins)
                    : ConfigLoader.load(file, ConfigFactory.systemProperties(), home, plugins);
            if (command.listPlugins()) {
                // what loads, then what does not: the listing is most wanted when something is wrong
                List<String> problems = new ArrayList<>();
                printPlugins(PluginRegistry.listAll(settings.pluginsDir(), Main.class.getClassLoader(), problems),
                        settings.pluginsDir());
                out.flush();
                return problems.isEmpty() ? EXIT_OK : printProblems(problems);
            }
            PluginRegistry registry = PluginRegistry.discover(settings.pluginsDir(), Main.class.getClassLoader());
            if ((command.check() || !command.prepare()) && !logFilesOpen()) {
                return EXIT_INVALID;
            }
            if (command.check()) {
                return check(settings, registry, command.demo() ? describeDemo(file) : file.toString());
            }
            if (command.prepare()) {
                return prepare(file, registry);
            }
            return serve(settings, registry, command.demo(), file);
        } catch (LaunchProblem e) {
            err.println("proxykit: " + e.getMessage());
            return EXIT_INVALID;
        } catch (ConfigProblems e) {
            return printProblems(e.problems());
        } catch (PluginException e) {
            return printProblems(e.problems());
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Main.class).error("proxykit failed", e);
            err.println("proxykit: failed: " + e);
            return EXIT_FAILURE;
        }
    }

    /**
     * Whether every log file of the logging configuration could be opened; if not, says which and why on the error
     * stream (a proxy that runs without its access log loses every line of it: nginx refuses to start too). The
     * {@link LogFileWatch} that {@link ShippedLogging} installs knows.
     */
    private boolean logFilesOpen() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return true; // another SLF4J backend: its files are its own business
        }
        for (String error : LogFileWatch.otherErrors(context)) {
            err.println("proxykit: logging: " + error);
        }
        List<String> unopened = LogFileWatch.unopened(context);
        for (String problem : unopened) {
            err.println("proxykit: " + problem);
        }
        if (!unopened.isEmpty()) {
            String file = System.getProperty("logback.configurationFile");
            err.println("proxykit: log files are set in " + (file == null ? "the logging configuration" : file)
                    + "; the shipped one writes to the logs folder of the installation");
            err.flush();
        }
        return unopened.isEmpty();
    }

    /** What {@code --help} prints, and what a bad command line prints after its error. */
    String usage() {
        String n = System.lineSeparator();
        return "usage: proxykit [--config FILE] [--check] [--demo] [--list-plugins] [--prepare] [--help] [--version]"
                + n
                + n
                + "Runs the proxykit reverse proxy until SIGTERM or Ctrl-C, which stop it gracefully." + n
                + n
                + "options:" + n
                + CommandLine.OPTIONS + n
                + n
                + "configuration file: " + defaultConfigFile() + n
                + "  (HOCON; -Dproxykit.<key>=<value> in JAVA_OPTS overrides a key, e.g. JAVA_OPTS=-Dproxykit.workers=2)"
                + n
                + "environment: JAVA_HOME, JAVA_OPTS, PROXYKIT_HEAP, PROXYKIT_CDS=off, PROXYKIT_CDS_DIR (see bin/proxykit)"
                + n
                + "exit status: 0 ok, 1 failure, 2 bad command line, configuration, plugin or listen address" + n;
    }

    private Path defaultConfigFile() {
        return home.resolve("conf").resolve("proxykit.conf");
    }

    /** The file to read: {@code --config}, else the default one; {@code null} for a plain demo. */
    private Path configFile(CommandLine command) throws LaunchProblem {
        Path file;
        if (command.config() != null) {
            file = command.config().toAbsolutePath().normalize();
        } else if (command.demo()) {
            return null;
        } else {
            file = defaultConfigFile();
        }
        String reason = null;
        if (!Files.exists(file)) {
            reason = "no such file";
        } else if (!Files.isRegularFile(file)) {
            reason = "not a regular file";
        } else if (!Files.isReadable(file)) {
            reason = "permission denied";
        }
        if (reason != null) {
            throw new LaunchProblem("cannot read configuration file " + file + ": " + reason);
        }
        return file;
    }

    private static String describeDemo(Path file) {
        return file == null ? Demo.ORIGIN : Demo.ORIGIN + " with " + file;
    }

    private int check(ProxySettings settings, PluginRegistry registry, String source) {
        List<String> problems = ProxyServer.check(settings, registry);
        if (!problems.isEmpty()) {
            return printProblems(problems);
        }
        out.println("configuration OK: " + source + " (" + settings.routes().size() + " routes, "
                + registry.plugins().size() + " plugins)");
        return EXIT_OK;
    }

    private int printProblems(List<String> problems) {
        for (String problem : problems) {
            err.println(problem);
        }
        err.flush();
        return EXIT_INVALID;
    }

    private void printPlugins(List<PluginInfo> plugins, Path pluginsDir) {
        if (plugins.isEmpty()) {
            out.println("no plugins found (plugins folder: " + (pluginsDir == null ? "none" : pluginsDir)
                    + ", and the class path)");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "KIND", "VERSION", "SOURCE", "DESCRIPTION"});
        for (PluginInfo plugin : plugins) {
            rows.add(new String[] {plugin.name(), plugin.kind().displayName(), plugin.version(), plugin.source(),
                plugin.description()});
        }
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                line.append(row[i]).append(" ".repeat(widths[i] - row[i].length() + 2));
            }
            out.println(line.append(row[4]).toString().stripTrailing());
        }
    }

    /**
     * {@code --prepare}: runs the proxy with the configuration file's settings on a free loopback port, in front of an
     * echo upstream on another, sends it {@link Prepare#exercise a few requests} and stops it, so that the class-data
     * archive that {@code bin/proxykit} has the JVM write as it exits holds what a start and its first requests load.
     */
    private int prepare(Path file, PluginRegistry registry) throws ConfigProblems {
        int responses;
        try (EchoServer upstream = EchoServer.start(0)) {
            ProxySettings training = ConfigLoader.parse(
                    Prepare.config(file, ConfigFactory.systemProperties(), upstream.port()), Prepare.ORIGIN, home);
            try (ProxyServer server = ProxyServer.start(training, registry)) {
                responses = Prepare.exercise(server.addresses().get(0));
            }
        } catch (StartupException e) {
            return printProblems(e.problems());
        } catch (IOException e) {
            err.println("proxykit: --prepare: the training run failed: " + e.getMessage());
            return EXIT_FAILURE;
        }
        out.println("prepared: " + responses + " requests through the proxy and an echo upstream on loopback");
        servedOrPrepared = true;
        return EXIT_OK;
    }

    /**
     * Starts the demo's upstreams (with {@code --demo}) and the proxy, then blocks until a signal has stopped them.
     * The signal handlers are installed first, so that a signal arriving while the proxy starts still ends with a
     * graceful stop and exit status 0.
     */
    private int serve(ProxySettings settings, PluginRegistry registry, boolean demo, Path file) {
        Running running = new Running();
        GracefulStop.install(running);
        List<EchoServer> upstreams = new ArrayList<>();
        ProxyServer server;
        try {
            if (demo) {
                for (int port : Demo.UPSTREAM_PORTS) {
                    upstreams.add(startUpstream(port, running));
                }
            }
            server = ProxyServer.start(settings, registry);
        } catch (StartupException e) {
            running.stop();
            return printProblems(startupProblems(e, settings));
        } catch (LaunchProblem e) {
            running.stop();
            err.println("proxykit: " + e.getMessage());
            return EXIT_INVALID;
        } catch (RuntimeException e) {
            running.stop();
            throw e;
        }
        running.add(server);
        servedOrPrepared = true;
        if (demo) {
            out.print(Demo.banner(server.addresses().get(0), upstreams, file));
            out.flush();
        }
        running.awaitStopped();
        return EXIT_OK;
    }

    private static EchoServer startUpstream(int port, Running running) throws LaunchProblem {
        EchoServer upstream;
        try {
            upstream = EchoServer.start(port);
        } catch (IOException e) {
            throw new LaunchProblem("cannot start the demo upstream on 127.0.0.1:" + port + ": " + e.getMessage()
                    + " (is another demo running?)");
        }
        running.add(upstream);
        return upstream;
    }

    /**
     * The problems of a failed start; when a listen address was in use and no problem says so, one more line does.
     */
    private static List<String> startupProblems(StartupException e, ProxySettings settings) {
        List<String> problems = new ArrayList<>(e.problems());
        boolean said = problems.stream().anyMatch(p -> p.toLowerCase(Locale.ROOT).contains("in use"));
        for (Throwable cause = e.getCause(); cause != null && !said; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            if (cause instanceof BindException || message.toLowerCase(Locale.ROOT).contains("in use")) {
                problems.add("cannot listen on " + settings.listen().stream().map(Main::authority)
                        .collect(Collectors.joining(", ")) + ": address already in use (" + message + ")");
                said = true;
            }
        }
        if (problems.isEmpty()) {
            problems.add("cannot start: " + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
        }
        return problems;
    }

    /** {@code host:port}, with an IPv6 host in brackets. */
    static String authority(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** A file the launcher cannot read or a demo port it cannot bind: one line, exit status 2. */
    private static final class LaunchProblem extends Exception {

        private static final long serialVersionUID = 1L;

        LaunchProblem(String message) {
            super(message);
        }
    }
}
