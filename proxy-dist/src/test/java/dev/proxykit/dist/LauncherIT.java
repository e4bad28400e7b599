package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.DirectorFactory;
import dev.proxykit.dist.HttpWire.Response;
import dev.proxykit.testing.TestJar;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/proxykit} from a freshly unpacked tarball, run as real processes: the public command line, exit
 * statuses, messages, the demo and the graceful stop on SIGTERM.
 */
class LauncherIT {

    /** Netty's leak detector at its strictest in the launched proxies; a leak report fails the test. */
    private static final String PARANOID = "-Dio.netty.leakDetection.level=paranoid";

    @TempDir
    Path dir;

    private Path home;

    @BeforeEach
    void unpack() throws IOException, InterruptedException {
        home = Installation.unpack(dir);
    }

    @Test
    void helpPrintsTheUsageWithEveryOptionAndExits0() throws IOException {
        Launched help = Launched.run(home, "--help");

        assertEquals(0, help.exitValue(), help.describe());
        for (String option : List.of("--config FILE", "--check", "--demo", "--list-plugins", "--prepare", "--help",
                "--version")) {
            assertTrue(help.stdout().contains(option), option + "\n" + help.describe());
        }
        assertTrue(help.stdout().contains(home.toRealPath().resolve("conf/proxykit.conf").toString()),
                help.describe());
    }

    @Test
    void versionPrintsTheBuiltVersion() throws IOException {
        Launched version = Launched.run(home, "--version");

        assertEquals(0, version.exitValue(), version.describe());
        assertEquals("proxykit " + System.getProperty("proxykit.version"), version.stdout().strip());
    }

    @Test
    void unknownOptionPrintsTheUsageOnStderrAndExits2() throws IOException {
        Launched unknown = Launched.run(home, "--no-such-option");

        assertEquals(2, unknown.exitValue(), unknown.describe());
        assertTrue(unknown.stderr().contains("unknown option: --no-such-option"), unknown.describe());
        assertTrue(unknown.stderr().contains("usage: proxykit"), unknown.describe());
    }

    @Test
    void missingConfigurationFileIsNamedInOneLineAndExits2() throws IOException {
        Path missing = dir.resolve("missing.conf");

        Launched run = Launched.run(home, "--config", missing.toString());

        assertEquals(2, run.exitValue(), run.describe());
        assertEquals(List.of("proxykit: cannot read configuration file " + missing + ": no such file"),
                run.stderrLines());
    }

    @Test
    void checkAcceptsTheShippedConfiguration() throws IOException {
        Launched check = Launched.run(home, "--check");

        assertEquals(0, check.exitValue(), check.describe());
        Path conf = home.toRealPath().resolve("conf/proxykit.conf");
        assertTrue(Pattern.compile("(?m)^configuration OK: " + Pattern.quote(conf.toString())
                + " \\(1 routes, \\d+ plugins\\)$").matcher(check.stdout()).find(), check.describe());
        assertEquals(1, check.stdoutLines().size(), "the result alone, no log lines: " + check.describe());
        assertEquals(List.of(), check.stderrLines(), "informational log lines are not shown for --check");
        assertTrue(Files.readString(home.resolve("logs/proxykit.log")).contains("Found "),
                "the log file has them as always");
    }

    /** As nginx, which stops at {@code open() "/var/log/nginx/access.log" failed}: no silent run without logs. */
    @Test
    void logFilesThatCannotBeOpenedStopStartAndCheckWithOneLineEachAndExit2() throws IOException {
        Path logs = home.resolve("logs");
        try (java.util.stream.Stream<Path> files = Files.list(logs)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(logs);
        Files.writeString(logs, "a file where the log folder should be");
        Path conf = listenOnlyConf("logs.conf");
        Path real = home.toRealPath();
        List<String> expected = List.of(
                "proxykit: cannot open the log file " + real.resolve("logs/proxykit.log") + ": Not a directory",
                "proxykit: cannot open the log file " + real.resolve("logs/access.log") + ": Not a directory",
                "proxykit: log files are set in " + real.resolve("conf/logback.xml")
                        + "; the shipped one writes to the logs folder of the installation");

        for (String option : List.of("--config", "--check")) {
            Launched run = "--check".equals(option) ? Launched.run(home, "--check", "--config", conf.toString())
                    : Launched.run(home, "--config", conf.toString());
            assertEquals(2, run.exitValue(), run.describe());
            assertEquals(expected, run.stderrLines(), "no status history of logback: " + run.describe());
            assertFalse(run.stdout().contains("listening on") || run.stdout().contains("|-"), run.describe());
        }

        Path xml = home.resolve("conf/logback.xml");
        Files.writeString(xml, Files.readString(xml).replace("<maxHistory>14</maxHistory>", "<maxHistory>30</maxHistory>"));
        Launched edited = Launched.run(home, "--config", conf.toString());
        assertEquals(2, edited.exitValue(), edited.describe());
        assertEquals(expected, edited.stderrLines(), "an edited logback.xml, read by logback: " + edited.describe());
        assertFalse(edited.stdout().contains("|-"), "no status history of logback: " + edited.describe());
    }

    @Test
    void checkReportsEveryProblemWithItsKeyAndFileLineAndExits2() throws IOException {
        Path bad = writeBadConfig();

        Launched check = Launched.run(home, "--check", "--config", bad.toString());

        assertEquals(2, check.exitValue(), check.describe());
        assertBadConfigProblems(check);
    }

    @Test
    void startWithABadConfigurationExits2WithTheSameProblemsAsCheck() throws IOException {
        Path bad = writeBadConfig();
        Launched check = Launched.run(home, "--check", "-c", bad.toString());

        Launched start = Launched.run(home, "-c", bad.toString());

        assertEquals(2, start.exitValue(), start.describe());
        assertBadConfigProblems(start);
        assertEquals(check.stderrLines(), start.stderrLines());
        assertFalse(start.stdout().contains("listening on"), start.describe());
    }

    @Test
    void listPluginsShowsNameKindVersionAndSourceOfEachBuiltInLoadedFromPluginsBuiltin() throws IOException {
        Launched list = Launched.run(home, "--list-plugins");

        assertEquals(0, list.exitValue(), list.describe());
        String version = System.getProperty("proxykit.version");
        String builtin = home.toRealPath().resolve("plugins/builtin").toString();
        String[][] expected = { // sorted by kind, then name
            {"host-rewrite", "director"},
            {"single-host", "director"},
            {"consistent-hash", "selector"},
            {"first", "selector"},
            {"least-request", "selector"},
            {"random", "selector"},
            {"round-robin", "selector"},
            {"weighted-round-robin", "selector"},
            {"default", "error classifier"},
            {"combined", "access logger"},
            {"json", "access logger"},
        };
        List<String> rows = PluginTable.rows(list.stdout());
        assertEquals(expected.length, rows.size(), list.describe());
        assertEquals(expected.length + 1, list.stdoutLines().size(), "the table alone: " + list.describe());
        for (int i = 0; i < expected.length; i++) {
            assertTrue(PluginTable.row(expected[i][0], expected[i][1], version, builtin).matcher(rows.get(i)).matches(),
                    "row " + i + ": " + String.join(" ", expected[i]) + " " + version + " " + builtin + "\n"
                            + list.describe());
        }
    }

    @Test
    void demoAlternatesBetweenItsUpstreamsPreservesHeaderCaseLogsAccessAndStopsOnSigterm() throws IOException {
        try (Launched demo = Launched.start(home, PARANOID, "--demo")) {
            demo.awaitStdout("curl -i http://127.0.0.1:3000/hello");
            assertTrue(demo.stdout().contains("Ctrl-C"), demo.describe());

            List<String> servedBy = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Response response = HttpWire.exchange(3000,
                        "GET /hello?n=" + i + " HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nX-MiXeD: yes\r\n\r\n");
                assertEquals(200, response.status(), response.text());
                assertTrue(response.text().contains("\r\nX-MiXeD: yes\r\n"), response.text());
                assertTrue(response.text().contains("GET /hello?n=" + i + " HTTP/1.1\r\n"), response.text());
                servedBy.add(response.text().lines().findFirst().orElse(""));
            }
            assertEquals(Set.of("served by upstream 127.0.0.1:9292", "served by upstream 127.0.0.1:9293"),
                    new TreeSet<>(servedBy), servedBy.toString());
            for (int i = 1; i < servedBy.size(); i++) {
                assertNotEquals(servedBy.get(i - 1), servedBy.get(i), "round-robin alternates: " + servedBy);
            }

            assertEquals(0, demo.terminate(), demo.describe());
            assertEquals(1, count(demo.stdout(), "listening on"), demo.describe());
            assertNoLeak(demo);
            List<String> access = Files.readAllLines(home.resolve("logs/access.log"));
            for (int i = 0; i < 4; i++) {
                String target = "/hello?n=" + i;
                assertTrue(access.stream().anyMatch(line -> line.contains(target)), target + " in " + access);
            }
        }
    }

    @Test
    void firstStartRecordsAClassDataArchiveThatLaterStartsMapAndTheReadyLineGivesTheStartUpTime() throws IOException {
        Path conf = listenOnlyConf("cds.conf");
        Launched.run(home, "--check", "--config", conf.toString());
        assertEquals(List.of(), archives(), "--check writes no archive");

        try (Launched first = Launched.start(home, "", "--config", conf.toString())) {
            first.awaitStdout("listening on");
            assertTrue(first.stdout().matches("(?s).*listening on \\S+ \\(.*, started in \\d+ ms, engine ready in \\d+ ms\\).*"),
                    first.describe());
            assertEquals(0, first.terminate(), first.describe());
        }
        List<Path> recorded = archives();
        assertEquals(1, recorded.size(), "written when the first server exits: " + recorded);

        startAndStop(home, "-Xshare:on", conf); // the JVM refuses to start unless it maps the archive
        assertEquals(recorded, archives(), "the same archive, not recorded again");
    }

    /**
     * The JVM writes the archive at any exit of a recording run: one that stops at a bad configuration leaves an
     * archive of the few classes it loaded, which made every later start slow (1.2-1.3 s against 0.7 s).
     */
    @Test
    void anArchiveLeftByARunThatNeverServedIsRecordedAgainByTheNextStart() throws IOException {
        Launched failed = Launched.run(home, "--config", writeBadConfig().toString());
        assertEquals(2, failed.exitValue(), failed.describe());
        List<Path> partial = archives();
        assertEquals(1, partial.size(), "written as the failed run exits: " + partial);
        Path mark = Path.of(partial.get(0) + ".ok");
        assertFalse(Files.exists(mark), "a run that did not serve does not mark its archive");
        long partialSize = Files.size(partial.get(0));

        Path conf = listenOnlyConf("after-failure.conf");
        try (Launched start = Launched.start(home, "", "--config", conf.toString())) {
            start.awaitStdout("listening on");
            assertTrue(start.commandLine().stream().anyMatch(a -> a.equals("-XX:ArchiveClassesAtExit=" + partial.get(0))),
                    "recorded again: " + start.commandLine());
            assertEquals(0, start.terminate(), start.describe());
        }
        assertEquals(partial, archives());
        assertTrue(Files.exists(mark), "marked by the run that served");
        assertTrue(Files.size(partial.get(0)) > 2 * partialSize,
                Files.size(partial.get(0)) + " bytes against " + partialSize);
        startAndStop(home, "-Xshare:on", conf); // the JVM refuses to start unless it maps the archive
        assertEquals(partial, archives(), "mapped, not recorded again");
    }

    /**
     * Short of room the JVM cannot write the archive as it exits, and then ends a graceful stop with status 1 ("Error
     * occurred during initialization of VM"; seen on a 512 KiB tmpfs). {@code df} here is a script that answers as
     * {@code df -Pk} does for a filesystem with 68 KiB free.
     */
    @Test
    void withTooLittleRoomForTheArchiveTheLauncherRecordsNoneSaysSoAndAStopStillExits0() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("fake-df"));
        Path df = Files.writeString(bin.resolve("df"), "#!/bin/sh\n"
                + "echo 'Filesystem     1024-blocks  Used Available Capacity Mounted on'\n"
                + "echo 'tmpfs                  512   444        68      87% /logs'\n");
        df.toFile().setExecutable(true);
        Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));
        Path conf = listenOnlyConf("full.conf");
        String said = "proxykit: not recording a class-data archive: 0 MiB free in " + home.toRealPath()
                .resolve("logs") + ", it needs 64 MiB (starts take longer without one)";

        try (Launched proxy = Launched.start(home, env, "", "--config", conf.toString())) {
            proxy.awaitStdout("listening on");
            assertFalse(proxy.commandLine().stream().anyMatch(a -> a.startsWith("-XX:ArchiveClassesAtExit")),
                    proxy.commandLine().toString());
            assertEquals(0, proxy.terminate(), proxy.describe());
            assertEquals(List.of(said), proxy.stderrLines(), proxy.describe());
        }
        assertEquals(List.of(), archives());

        Launched prepare = Launched.start(home, env, "", "--prepare");
        assertEquals(1, prepare.awaitExit(), prepare.describe());
        assertEquals(List.of("proxykit: --prepare: 0 MiB free in " + home.toRealPath().resolve("logs")
                + "; the class-data archive needs 64 MiB (PROXYKIT_CDS_DIR names another folder)"),
                prepare.stderrLines());
    }

    @Test
    void prepareRecordsTheArchiveWithoutServingOrLoggingAccessesSoThatTheFirstStartMapsIt() throws IOException {
        Launched prepare = Launched.run(home, "--prepare");

        assertEquals(0, prepare.exitValue(), prepare.describe());
        List<Path> recorded = archives();
        assertEquals(1, recorded.size(), "written as --prepare exits: " + recorded + "\n" + prepare.describe());
        assertTrue(prepare.stdout().contains("prepared: 32 requests through the proxy")
                && prepare.stdout().contains("class-data archive recorded: " + recorded.get(0)), prepare.describe());
        Path accessLog = home.resolve("logs/access.log");
        assertEquals(List.of(), Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of(),
                "the training requests stay out of the access log");

        Path conf = listenOnlyConf("prepared.conf");
        startAndStop(home, "-Xshare:on", conf); // the JVM refuses to start unless it maps the archive
        assertEquals(recorded, archives(), "mapped, not recorded again");

        Launched again = Launched.run(home, "--prepare");
        assertEquals(0, again.exitValue(), again.describe());
        assertEquals(recorded, archives(), "--prepare records the archive anew, under the same name");
    }

    @Test
    void aCopyOfAnInstallationRecordsAnArchiveOfItsOwnInsteadOfKeepingOneItCannotMap()
            throws IOException, InterruptedException {
        assertEquals(0, Launched.run(home, "--prepare").exitValue());
        List<Path> original = archives();
        Path copy = dir.resolve("copy");
        Process cp = new ProcessBuilder("cp", "-a", home.toString(), copy.toString()).inheritIO().start();
        assertEquals(0, cp.waitFor(), "cp -a");
        Path conf = listenOnlyConf("copy.conf");

        // Java 17 maps an archive only for the folder its JARs were in when it was recorded
        startAndStop(copy, "", conf);
        List<Path> copied = archives(copy);
        assertEquals(1, copied.size(), "the copied archive replaced by the copy's own: " + copied);
        assertNotEquals(original.get(0).getFileName(), copied.get(0).getFileName());
        startAndStop(copy, "-Xshare:on", conf);
    }

    @Test
    void prepareWithClassDataSharingTurnedOffSaysSoAndExits1() throws IOException {
        Launched prepare = Launched.start(home, Map.of("PROXYKIT_CDS", "off"), "", "--prepare");

        assertEquals(1, prepare.awaitExit(), prepare.describe());
        assertEquals(List.of("proxykit: --prepare records the class-data archive, which PROXYKIT_CDS=off turns off"),
                prepare.stderrLines());
        assertEquals(List.of(), archives());
    }

    /** A configuration that listens on a free port, with a route to an upstream that is never asked. */
    @Test
    void theShippedLoggingIsSetUpInCodeAndAnEditedLogbackXmlIsWhatRuns() throws IOException {
        Path conf = listenOnlyConf("logging.conf");
        Pattern shippedConsole = Pattern.compile(
                "(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main\\] proxykit - proxykit \\S+ listening on .*$");
        Pattern shippedFile = Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) "
                + "INFO  \\[main\\] proxykit - proxykit \\S+ listening on .*$");
        try (Launched shipped = Launched.start(home, "-Dlogback.debug=true", "--config", conf.toString())) {
            shipped.awaitStdout("listening on");
            assertEquals(0, shipped.terminate(), shipped.describe());
            assertTrue(shipped.stdout().contains("is the shipped logging configuration: set up in code by "
                    + ShippedLogging.class.getName()), shipped.describe());
            assertTrue(shippedConsole.matcher(shipped.stdout()).find(), shipped.describe());
        }
        assertTrue(shippedFile.matcher(Files.readString(home.resolve("logs/proxykit.log"))).find(),
                "the ready line in logs/proxykit.log, in the file's own pattern");

        Path xml = home.resolve("conf/logback.xml");
        String edited = Files.readString(xml).replace("<pattern>%d{HH:mm:ss.SSS} %-5level",
                "<pattern>EDITED %d{HH:mm:ss.SSS} %-5level");
        assertNotEquals(Files.readString(xml), edited, "the console pattern is where the test expects it");
        Files.writeString(xml, edited);
        try (Launched custom = Launched.start(home, "", "--config", conf.toString())) {
            custom.awaitStdout("listening on");
            assertEquals(0, custom.terminate(), custom.describe());
            assertTrue(Pattern.compile("(?m)^EDITED \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main\\] proxykit - proxykit \\S+ "
                    + "listening on ").matcher(custom.stdout()).find(), custom.describe());
        }
        Launched check = Launched.run(home, "--check", "--config", conf.toString());
        assertEquals(0, check.exitValue(), check.describe());
        assertEquals(1, check.stdoutLines().size(), "the result alone, as with the shipped logging: " + check.describe());
        assertTrue(check.stdoutLines().get(0).startsWith("configuration OK: "), check.describe());
        assertTrue(check.stderr().contains("EDITED "), "the edited console's lines go to stderr: " + check.describe());
    }

    @Test
    void theJvmGetsTheLaunchersProxyDefaultsAndJavaOptsComeLastSoTheyWin() throws IOException {
        Path conf = listenOnlyConf("defaults.conf");
        List<String> defaults = List.of("-Xms64m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:NewRatio=1",
                "-XX:Tier4InvocationThreshold=25000", "-XX:Tier4MinInvocationThreshold=3000",
                "-XX:Tier4CompileThreshold=75000", "-XX:Tier4BackEdgeThreshold=200000",
                "-XX:Tier3InvocationThreshold=1000", "-XX:Tier3MinInvocationThreshold=500",
                "-XX:Tier3CompileThreshold=10000", "-XX:Tier3BackEdgeThreshold=300000", "-XX:MaxDirectMemorySize=256m",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true",
                "-Dio.netty.allocator.lowMemory=false", "-XX:+ExitOnOutOfMemoryError",
                "-Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider", "-Dslf4j.internal.verbosity=WARN",
                "-Dguice_bytecode_gen_option=DISABLED");
        try (Launched proxy = Launched.start(home, "", "--config", conf.toString())) {
            proxy.awaitStdout("listening on");
            List<String> args = proxy.commandLine();
            assertTrue(args.containsAll(defaults), args.toString());
            assertEquals("dev.proxykit.dist.Main", args.get(args.size() - 3), args.toString());
            assertEquals(0, proxy.terminate(), proxy.describe());
        }

        String own = "-XX:+UseParallelGC -XX:Tier4InvocationThreshold=5000";
        try (Launched proxy = Launched.start(home, own, "--config", conf.toString())) {
            proxy.awaitStdout("listening on");
            List<String> args = proxy.commandLine();
            assertFalse(args.contains("-XX:+UseSerialGC") || args.contains("-XX:NewRatio=1"),
                    "a collector chosen in JAVA_OPTS replaces the default one: " + args);
            assertTrue(args.indexOf("-XX:Tier4InvocationThreshold=5000")
                    > args.indexOf("-XX:Tier4InvocationThreshold=25000"), "JAVA_OPTS after the defaults: " + args);
            assertEquals(0, proxy.terminate(), proxy.describe());
        }
    }

    private Path listenOnlyConf(String name) throws IOException {
        return Files.writeString(dir.resolve(name), "proxykit {\n  listen = \"127.0.0.1:" + Installation.freePort()
                + "\"\n  routes = [{ upstreams = [\"http://127.0.0.1:9\"] }]\n}\n");
    }

    /** Starts the installation at {@code home} with {@code conf}, waits for it to listen and stops it (exit 0). */
    private static void startAndStop(Path home, String javaOpts, Path conf) throws IOException {
        try (Launched proxy = Launched.start(home, javaOpts, "--config", conf.toString())) {
            proxy.awaitStdout("listening on");
            assertEquals(0, proxy.terminate(), proxy.describe());
        }
    }

    private List<Path> archives() throws IOException {
        return archives(home);
    }

    private static List<Path> archives(Path home) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(home.resolve("logs"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).sorted().toList();
        }
    }

    @Test
    void startServesThroughTheProxyWithTheShippedDirectorsAndStopsOnSigterm() throws IOException {
        try (EchoServer upstream = EchoServer.start(0)) {
            int port = Installation.freePort();
            Path conf = dir.resolve("start.conf");
            Files.writeString(conf, "proxykit {\n"
                    + "  listen = \"127.0.0.1:" + port + "\"\n"
                    + "  routes = [\n"
                    + "    {\n"
                    + "      upstreams = [\"http://127.0.0.1:" + upstream.port() + "\"]\n"
                    + "      directors = [single-host, { type = host-rewrite, host = \"backend.example.com\" }]\n"
                    + "    }\n"
                    + "  ]\n"
                    + "}\n");

            try (Launched proxy = Launched.start(home, PARANOID, "--config", conf.toString())) {
                proxy.awaitStdout("listening on");

                Response response = HttpWire.exchange(port,
                        "POST /a/b?c=d HTTP/1.1\r\nHost: client.example\r\nx-lower-case: 1\r\nX-MiXeD: yes\r\n"
                                + "Content-Length: 5\r\n\r\nhello");

                assertEquals(200, response.status(), response.text());
                assertTrue(response.text().startsWith("served by upstream " + upstream.name()), response.text());
                assertTrue(response.text().contains("\r\nHost: backend.example.com\r\n"), response.text());
                assertTrue(response.text().contains("\r\nx-lower-case: 1\r\n"), response.text());
                assertTrue(response.text().contains("\r\nX-MiXeD: yes\r\n"), response.text());
                assertTrue(response.text().endsWith("\nbody: 5 bytes\n"), response.text());

                assertEquals(0, proxy.terminate(), proxy.describe());
                assertEquals(1, count(proxy.stdout(), "listening on"), proxy.describe());
                assertTrue(proxy.stdout().contains("127.0.0.1:" + port), proxy.describe());
                assertNoLeak(proxy);
            }
        }
    }

    /**
     * A console that nobody reads (a pipe whose reader has stalled, as a stuck log collector's) does not stop the proxy:
     * each failed request is logged, and the event loop hands the line to the console's own thread instead of waiting
     * for the pipe (64 KiB on Linux: a few hundred lines) to drain. Logged synchronously, the proxy stopped answering
     * after 224 requests.
     */
    /**
     * As nginx's USR1 (logrotate's {@code postrotate}): the log files are reopened, so lines go to a new file at the
     * configured path and not on into the moved one. HUP, nginx's reload, does the same and says the configuration is
     * not reloaded; neither stops the proxy (the JVM alone: status 138 and 129).
     */
    @Test
    void usr1AndHupReopenTheLogFilesAndTheProxyGoesOn() throws Exception {
        try (EchoServer upstream = EchoServer.start(0)) {
            int port = Installation.freePort();
            Path conf = Files.writeString(dir.resolve("reopen.conf"), "proxykit {\n  listen = \"127.0.0.1:" + port
                    + "\"\n  routes = [{ upstreams = [\"http://127.0.0.1:" + upstream.port() + "\"] }]\n}\n");
            Path access = home.resolve("logs/access.log");
            Path rotated = home.resolve("logs/access.log.1");
            try (Launched proxy = Launched.start(home, PARANOID, "--config", conf.toString())) {
                proxy.awaitStdout("listening on");
                assertEquals(200, HttpWire.exchange(port, "GET /before HTTP/1.1\r\nHost: h\r\n\r\n").status());
                awaitLine(access, "/before");
                Files.move(access, rotated);
                proxy.signal("USR1");
                proxy.awaitStdout("SIGUSR1 received: log files reopened: ");
                assertTrue(proxy.stdout().contains(access.toString()), proxy.describe());
                assertEquals(200, HttpWire.exchange(port, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n").status());
                awaitLine(access, "/after");
                assertEquals(1, Files.readAllLines(access).size(), "a new file, with the new line only");
                assertEquals(1, Files.readAllLines(rotated).size(), "the moved file keeps what it had");

                proxy.signal("HUP");
                proxy.awaitStdout("the configuration is not reloaded (restart proxykit to apply changes)");
                assertEquals(200, HttpWire.exchange(port, "GET /after-hup HTTP/1.1\r\nHost: h\r\n\r\n").status());
                awaitLine(access, "/after-hup");
                assertEquals(0, proxy.terminate(), proxy.describe());
                assertNoLeak(proxy);
            }
        }
    }

    /** Waits, bounded, until {@code file} has a line containing {@code text} (the access log is written async). */
    private static void awaitLine(Path file, String text) throws IOException {
        long deadline = System.nanoTime() + Launched.PATIENCE.toNanos();
        while (!Files.exists(file) || Files.readAllLines(file).stream().noneMatch(l -> l.contains(text))) {
            assertTrue(System.nanoTime() < deadline, text + " never reached " + file);
            Launched.sleep(50);
        }
    }

    /**
     * A stop asked for while the plugins load (here one whose factory takes its time) says so and exits 0, as a stop
     * while serving does; the JVM's own handling exited 143 without a word.
     */
    @Test
    void aSigtermWhileStartingStopsWithALineAndStatus0() throws Exception {
        Path loading = dir.resolve("loading");
        new TestJar(dir)
                .source("com.example.slow.SlowFactory", """
                        package com.example.slow;
                        import dev.proxykit.api.*;
                        public final class SlowFactory implements DirectorFactory {
                            public SlowFactory() throws Exception {
                                java.nio.file.Files.writeString(java.nio.file.Path.of(System.getenv("SLOW_MARK")), "");
                                Thread.sleep(60_000);
                            }
                            @Override public String name() { return "slow"; }
                            @Override public Director create(PluginContext context) { return null; }
                        }
                        """)
                .service(DirectorFactory.class, "com.example.slow.SlowFactory")
                .write(home.resolve("plugins/slow.jar"));
        int port = Installation.freePort();
        Path conf = Files.writeString(dir.resolve("slow.conf"), "proxykit {\n  listen = \"127.0.0.1:" + port
                + "\"\n  routes = [{ upstreams = [\"http://127.0.0.1:9\"] }]\n}\n");
        try (Launched proxy = Launched.start(home, Map.of("SLOW_MARK", loading.toString()), "", "--config",
                conf.toString())) {
            long deadline = System.nanoTime() + Launched.PATIENCE.toNanos();
            while (!Files.exists(loading) && proxy.isAlive() && System.nanoTime() < deadline) {
                Launched.sleep(50);
            }
            assertTrue(Files.exists(loading), "the plugin is loading: " + proxy.describe());
            assertEquals(0, proxy.terminate(), proxy.describe());
            assertEquals(List.of("proxykit: SIGTERM received while starting: stopped before listening"),
                    proxy.stderrLines(), proxy.describe());
            assertFalse(proxy.stdout().contains("listening on"), proxy.describe());
        }
    }

    /** nginx: a second signal is a fast stop; here it ends the grace period, which logs what it cuts, and exits 0. */
    @Test
    void aSecondSigtermEndsTheGracePeriodAtOnceAnswersWhatWaits503AndExits0() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            silent.setSoTimeout(30_000);
            int port = Installation.freePort();
            Path conf = Files.writeString(dir.resolve("second-signal.conf"), "proxykit {\n  listen = \"127.0.0.1:"
                    + port + "\"\n  shutdown-grace-period = 60s\n  routes = [{ upstreams = [\"http://127.0.0.1:"
                    + silent.getLocalPort() + "\"] }]\n}\n");
            try (Launched proxy = Launched.start(home, PARANOID, "--config", conf.toString());
                 Socket client = connectWhenListening(proxy, port);
                 Socket upstream = acceptAfter(silent, client)) {
                proxy.signal();
                proxy.awaitStdout("in-flight exchanges have 1m to finish");
                long before = System.nanoTime();
                proxy.signal();
                assertEquals(0, proxy.awaitExit(), proxy.describe());
                assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(30),
                        "did not wait for the 60 s grace period: " + proxy.describe());
                client.setSoTimeout(10_000);
                String answer = new String(client.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertTrue(answer.startsWith("HTTP/1.1 503 ") && answer.contains("Connection: close"), answer);
                assertTrue(proxy.stdout().contains("received again: ending the grace period now"), proxy.describe());
                List<String> access = Files.readAllLines(home.resolve("logs/access.log"));
                assertTrue(access.stream().anyMatch(l -> l.contains("\"GET /waits HTTP/1.1\" 503 ")
                        && l.contains("error=shutdown")), "logged, not lost: " + access);
                assertNoLeak(proxy);
            }
        }
    }

    private static Socket connectWhenListening(Launched proxy, int port) throws IOException {
        proxy.awaitStdout("listening on");
        return new Socket(InetAddress.getLoopbackAddress(), port);
    }

    /** Sends a request on {@code client} and returns the upstream side of its connection to {@code upstream}. */
    private static Socket acceptAfter(ServerSocket upstream, Socket client) throws IOException {
        client.getOutputStream().write("GET /waits HTTP/1.1\r\nHost: h\r\n\r\n".getBytes());
        return upstream.accept();
    }

    @Test
    void aConsoleThatNobodyReadsDoesNotStopTheProxyAnswering() throws Exception {
        int port = Installation.freePort();
        Path conf = Files.writeString(dir.resolve("stalled.conf"), "proxykit {\n  listen = \"127.0.0.1:" + port
                + "\"\n  access-log = off\n  routes = [{ upstreams = [\"http://127.0.0.1:" + Installation.freePort()
                + "\"] }]\n}\n");
        Process proxy = Launched.builder(home, Map.of(), PARANOID,
                List.of(home.resolve("bin/proxykit").toString(), "--config", conf.toString()))
                .redirectErrorStream(true).start();
        try {
            InputStream console = proxy.getInputStream();
            CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
                StringBuilder seen = new StringBuilder();
                try {
                    for (int b = console.read(); b >= 0; b = console.read()) {
                        seen.append((char) b);
                        if (seen.indexOf("listening on") >= 0 && b == '\n') {
                            return seen.toString();
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return seen.toString();
            });
            String start = ready.get(Launched.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertTrue(start.contains("listening on"), start);

            // from here on nobody reads the console; every request fails upstream (connection refused) and is logged
            int requests = 2_000;
            for (int i = 0; i < requests; i++) {
                Response response = HttpWire.exchange(port,
                        "GET /" + i + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                assertEquals(502, response.status(), "request " + i + ": " + response.text());
            }

            proxy.destroy();
            assertTrue(proxy.waitFor(Launched.PATIENCE.toSeconds(), TimeUnit.SECONDS), "stops on SIGTERM");
            assertEquals(0, proxy.exitValue());
            assertTrue(Files.readString(home.resolve("logs/proxykit.log")).contains("GET /" + (requests - 1) + ": 502 "),
                    "the last failure in logs/proxykit.log, which nothing held up");
        } finally {
            proxy.destroyForcibly();
        }
    }

    /**
     * With every file descriptor the process may open in use, a listener says so in one line and stops accepting for a
     * second at a time (not a stack trace every second, nor a loop spinning on a socket that stays ready); once
     * connections close it accepts again, and the proxy serves.
     */
    @Test
    void runningOutOfFileDescriptorsPausesAcceptingWithOneClearLineAndRecovers() throws Exception {
        try (EchoServer upstream = EchoServer.start(0)) {
            int port = Installation.freePort();
            Path conf = Files.writeString(dir.resolve("fds.conf"), "proxykit {\n  listen = \"127.0.0.1:" + port
                    + "\"\n  workers = 1\n  upstream-keepalive.max-idle-per-host = 0\n" // a new upstream connection each time
                    + "  routes = [{ upstreams = [\"http://127.0.0.1:" + upstream.port() + "\"] }]\n}\n");
            try (Launched proxy = Launched.startWithOpenFilesLimit(home, 160, PARANOID, "--config", conf.toString())) {
                proxy.awaitStdout("listening on");
                List<Socket> idle = new ArrayList<>();
                try (HttpWire early = HttpWire.connect(port)) {
                    early.send("GET /early HTTP/1.1\r\nHost: a\r\n\r\n");
                    assertEquals(200, early.read().status(), "served before the descriptors run out");
                    // more connections than descriptors left (the JVM holds some 70: its JARs, the epoll set, logs)
                    for (int i = 0; i < 200; i++) {
                        idle.add(new Socket(InetAddress.getLoopbackAddress(), port)); // the kernel's backlog takes them
                    }
                    proxy.awaitStdout("cannot accept connections: ");
                    // the next request on that connection: its new upstream connection cannot get a socket either
                    early.send("GET /starved HTTP/1.1\r\nHost: a\r\n\r\n");
                    Response starved = early.read();
                    assertEquals(500, starved.status(), "as nginx answers when socket() fails: " + starved.text());
                } finally {
                    for (Socket socket : idle) {
                        socket.close();
                    }
                }
                Response response = HttpWire.exchange(port, "GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, response.status(), response.text());

                assertEquals(0, proxy.terminate(), proxy.describe());
                String out = proxy.stdout();
                assertTrue(out.contains("Too many open files; accepting again in 1000 ms (the process's open-files limit"
                        + " is reached: raise it with ulimit -n"), proxy.describe());
                assertFalse(out.contains("reached at the tail of the pipeline"), proxy.describe());
                // handled on the connection's event loop, although Netty fails such a connect on another thread
                assertTrue(Pattern.compile("\\[proxykit-worker-[^]]+] proxykit.exchange - \\S+ route \\S+ GET /starved: "
                        + "500 internal_error in CONNECT").matcher(out).find(), proxy.describe());
                assertNoLeak(proxy);
            }
        }
    }

    @Test
    void aListenAddressInUseExits2WithAClearMessage() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path conf = dir.resolve("taken.conf");
            Files.writeString(conf, "proxykit {\n"
                    + "  listen = \"127.0.0.1:" + taken.getLocalPort() + "\"\n"
                    + "  routes = [{ upstreams = [\"http://127.0.0.1:9\"] }]\n"
                    + "}\n");

            Launched start = Launched.run(home, "--config", conf.toString());

            assertEquals(2, start.exitValue(), start.describe());
            assertEquals(List.of("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (proxykit.listen): bind()"
                    + " failed (98: Address already in use)"), start.stderrLines(), start.describe());
        }
    }

    /**
     * A configuration with three problems, one per line: an unknown key (line 3), a value of the wrong type
     * (line 4) and an upstream URL without a scheme (line 7).
     */
    private Path writeBadConfig() throws IOException {
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "proxykit {\n"
                + "  listen = \"127.0.0.1:" + Installation.freePort() + "\"\n"
                + "  no-such-key = 1\n"
                + "  workers = \"many\"\n"
                + "  routes = [\n"
                + "    {\n"
                + "      upstreams = [\"localhost:8080\"]\n"
                + "    }\n"
                + "  ]\n"
                + "}\n");
        return bad;
    }

    private static void assertBadConfigProblems(Launched run) throws IOException {
        List<String> lines = run.stderrLines();
        assertProblem(lines, "bad.conf:3", "no-such-key", run);
        assertProblem(lines, "bad.conf:4", "workers", run);
        assertProblem(lines, "bad.conf:7", "upstreams", run);
        assertTrue(lines.stream().anyMatch(line -> line.contains("localhost:8080")), run.describe());
    }

    private static void assertProblem(List<String> lines, String fileLine, String key, Launched run) {
        assertTrue(lines.stream().anyMatch(line -> line.contains(fileLine) && line.contains(key)),
                key + " at " + fileLine + "\n" + run.describe());
    }

    private void assertNoLeak(Launched run) throws IOException {
        assertFalse(run.stdout().contains("LEAK:"), run.describe());
        assertFalse(Files.readString(home.resolve("logs/proxykit.log")).contains("LEAK:"), run.describe());
    }

    private static int count(String text, String needle) {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
            count++;
        }
        return count;
    }
}
