package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's command line, in-process: everything decided before the configuration is loaded. */
class MainTest {

    @TempDir
    Path home;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void helpPrintsEveryOptionAndTheConfigurationFileAndExits0() {
        assertEquals(0, run("--help"));

        String usage = out();
        for (String option : List.of("--config FILE", "-c,", "--check", "--demo", "--list-plugins", "--prepare",
                "--help", "-h,", "--version")) {
            assertTrue(usage.contains(option), option + " in " + usage);
        }
        assertTrue(usage.contains(home.resolve("conf").resolve("proxykit.conf").toString()), usage);
        assertEquals("", err());
    }

    @Test
    void shortHelpIsTheSameAsLongHelp() {
        assertEquals(0, run("-h"));
        String shortHelp = out();
        out.reset();

        assertEquals(0, run("--help"));
        assertEquals(out(), shortHelp);
    }

    @Test
    void versionPrintsProxykitAndTheVersion() {
        assertEquals(0, run("--version"));

        assertEquals("proxykit " + Main.version() + System.lineSeparator(), out());
    }

    @Test
    void unknownOptionPrintsUsageOnStderrAndExits2() {
        assertEquals(2, run("--frobnicate"));

        assertTrue(err().startsWith("proxykit: unknown option: --frobnicate"), err());
        assertTrue(err().contains("usage: proxykit"), err());
        assertEquals("", out());
    }

    @Test
    void configWithoutAValueExits2() {
        assertEquals(2, run("--check", "--config"));

        assertTrue(err().contains("--config: missing value"), err());
    }

    @Test
    void configGivenTwiceExits2() {
        assertEquals(2, run("-c", "a.conf", "--config=b.conf"));

        assertTrue(err().contains("--config given twice"), err());
    }

    @Test
    void positionalArgumentExits2() {
        assertEquals(2, run("proxykit.conf"));

        assertTrue(err().contains("unexpected argument: proxykit.conf"), err());
    }

    @Test
    void missingDefaultConfigurationFileIsOneLineNamingItAndExits2() {
        assertEquals(2, run("--check"));

        Path expected = home.resolve("conf").resolve("proxykit.conf");
        assertEquals("proxykit: cannot read configuration file " + expected + ": no such file"
                + System.lineSeparator(), err());
    }

    @Test
    void missingConfigFileGivenOnTheCommandLineIsNamedAndExits2() {
        Path missing = home.resolve("nowhere.conf");

        assertEquals(2, run("--config", missing.toString()));

        assertEquals("proxykit: cannot read configuration file " + missing + ": no such file"
                + System.lineSeparator(), err());
    }

    @Test
    void aDirectoryAsConfigFileIsRejectedAndExits2() throws IOException {
        Path folder = Files.createDirectory(home.resolve("conf.d"));

        assertEquals(2, run("-c", folder.toString()));

        assertTrue(err().contains(folder + ": not a regular file"), err());
    }

    @Test
    void demoWithAMissingConfigFileExits2BeforeStartingAnything() {
        Path missing = home.resolve("override.conf");

        assertEquals(2, run("--demo", "--config", missing.toString()));

        assertTrue(err().contains("cannot read configuration file " + missing), err());
    }

    @Test
    void optionsThatEachEndTheRunWithTheirOwnAnswerCannotBeCombinedAndExit2() {
        assertEquals(2, run("--prepare", "--check"));
        assertTrue(err().contains("--prepare cannot be combined with --check"), err());
        assertEquals(2, run("--check", "--list-plugins"));
        assertTrue(err().contains("--check cannot be combined with --list-plugins"), err());

        assertEquals(2, run("--demo", "--prepare"));
        assertTrue(err().contains("--prepare cannot be combined with --demo"), err());
    }

    @Test
    void prepareRunsTheConfigurationsPluginsOnLoopbackPortsOfItsOwnAndNeverItsListenAddressOrUpstreams()
            throws IOException {
        // port 1 cannot be bound without privileges and nothing answers on port 9 (discard): the training run must
        // replace both, or it fails
        Path conf = Files.writeString(home.resolve("proxykit.conf"), String.join("\n",
                "proxykit {",
                "  listen = \"127.0.0.1:1\"",
                "  workers = 1",
                "  routes = [{ upstreams = [\"http://127.0.0.1:9\"], directors = [single-host] }]",
                "}",
                ""));

        assertEquals(0, run("--prepare", "--config", conf.toString()), err());

        assertTrue(out().contains("prepared: " + Prepare.CONNECTIONS * Prepare.REQUESTS_PER_CONNECTION
                + " requests through the proxy and an echo upstream on loopback"), out());
    }

    @Test
    void prepareWithAnInvalidConfigurationReportsItAndExits2() throws IOException {
        Path conf = Files.writeString(home.resolve("bad.conf"), "proxykit { workers = many }\n");

        assertEquals(2, run("--prepare", "--config", conf.toString()));

        assertTrue(err().contains("workers") && err().contains("bad.conf:1"), err());
    }

    @Test
    void aConfigurationsOwnProblemsAndItsPluginsProblemsAreReportedInOneRunInFileOrder() throws IOException {
        Path conf = Files.writeString(home.resolve("both.conf"), String.join("\n",
                "proxykit {",
                "  timeouts.connect = banana",
                "  routes = [",
                "    { upstreams = [\"http://127.0.0.1:9\"], directors = [single-hots] }",
                "    { upstreams = [\"http://127.0.0.1:9\"], directors = [{ type = host-rewrite, host = \"bad host\" }] }",
                "    { upstreams = [\"localhost:9\"], selector = round-robbin }",
                "  ]",
                "}",
                ""));
        List<String> expected = List.of(
                conf + ":2: proxykit.timeouts.connect: \"banana\" (expected: a positive duration with a unit, such as 5s"
                        + " or 500ms (units: ns, us, ms, s, m, h, d))",
                conf + ":4: proxykit.routes[0].directors[0]: no director plugin named \"single-hots\" (available:"
                        + " host-rewrite, single-host; did you mean \"single-host\"?)",
                conf + ":5: proxykit.routes[1].directors[0].host: \"bad host\" (expected: a host name or IP address with"
                        + " an optional :port, such as backend.example.com, 10.0.0.1:8080 or [::1]:8080, or null for the"
                        + " chosen upstream's authority (a space at index 3))",
                conf + ":6: proxykit.routes[2].upstreams[0]: invalid upstream URL \"localhost:9\": missing scheme"
                        + " (expected: http://host[:port] or https://host[:port])",
                conf + ":6: proxykit.routes[2].selector: no selector plugin named \"round-robbin\" (available:"
                        + " consistent-hash, first, least-request, random, round-robin, weighted-round-robin; did you"
                        + " mean \"round-robin\"?)");

        assertEquals(2, run("--check", "--config", conf.toString()));
        assertEquals(expected, err().lines().toList());
        assertEquals("", out());

        err.reset();
        assertEquals(2, run("--config", conf.toString()));
        assertEquals(expected, err().lines().toList(), "start-up reports what --check reports");
    }

    private int run(String... args) {
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new Main(home, outStream, errStream).run(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
