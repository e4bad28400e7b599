package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.DirectorFactory;
import dev.proxykit.testing.TestJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin problems a user can cause, through the real {@code bin/proxykit} of a freshly unpacked tarball: each stops
 * start-up with exit status 2 and one line per problem on stderr that names the plugin (or the name asked for), its
 * JAR, and what to do. Plugin JARs are compiled by the test ({@link TestJar}) and dropped into {@code plugins/}.
 */
class PluginProblemsIT {

    @TempDir
    Path dir;

    private Path home;
    /** {@code plugins/} as the launcher names it: under the real path of the installation. */
    private Path plugins;
    private Path conf;

    @BeforeEach
    void unpack() throws IOException, InterruptedException {
        home = Installation.unpack(dir);
        plugins = home.toRealPath().resolve("plugins");
        conf = config("single-host");
    }

    @Test
    void unknownPluginNameStopsStartUpWithTheNamesThatExistAndADidYouMean() throws IOException {
        Path typo = config("single-hots");

        List<String> problems = refused(typo);

        assertEquals(List.of(typo + ":5: proxykit.routes[0].directors[0]: no director plugin named \"single-hots\""
                + " (available: host-rewrite, single-host; did you mean \"single-host\"?)"), problems);
        Launched check = Launched.run(home, "--check", "--config", typo.toString());
        assertEquals(2, check.exitValue(), check.describe());
        assertEquals(problems, check.stderrLines(), "--check reports what start-up reports");
    }

    @Test
    void unknownPluginNameIsReportedInTheSameRunAsTheConfigurationsOwnProblems() throws IOException {
        Path both = config("single-hots", "  timeouts.connect = banana\n");

        List<String> problems = refused(both);

        assertEquals(List.of(
                both + ":3: proxykit.timeouts.connect: \"banana\" (expected: a positive duration with a unit, such as 5s"
                        + " or 500ms (units: ns, us, ms, s, m, h, d))",
                both + ":6: proxykit.routes[0].directors[0]: no director plugin named \"single-hots\" (available:"
                        + " host-rewrite, single-host; did you mean \"single-host\"?)"), problems);
        Launched check = Launched.run(home, "--check", "--config", both.toString());
        assertEquals(2, check.exitValue(), check.describe());
        assertEquals(problems, check.stderrLines(), "--check reports what start-up reports");
    }

    @Test
    void factoryThatThrowsStopsStartUpNamingThePluginItsJarAndTheCause() throws IOException {
        Path jar = new TestJar(dir)
                .source("com.example.boom.BoomFactory", """
                        package com.example.boom;
                        import dev.proxykit.api.*;
                        public final class BoomFactory implements DirectorFactory {
                            @Override public String name() { return "boom"; }
                            @Override public Director create(PluginContext context) {
                                throw new IllegalStateException("cannot reach the licence server");
                            }
                        }
                        """)
                .service(DirectorFactory.class, "com.example.boom.BoomFactory")
                .write(plugins.resolve("boom/boom.jar"));
        Path uses = config("boom");

        List<String> problems = refused(uses);

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(uses + ":5: proxykit.routes[0].directors[0]: the director plugin \"boom\""
                + " (com.example.boom.BoomFactory in " + jar + ") failed: java.lang.IllegalStateException: cannot reach"
                + " the licence server (expected: "), problems.get(0));
        assertTrue(problems.get(0).contains("report this to the plugin's author"), problems.get(0));
    }

    @Test
    void jarWithNoFactoriesStopsStartUpNamingTheJarAndTheServicesFileItNeeds() throws IOException {
        Path jar = new TestJar(dir)
                .source("com.example.util.Strings", "package com.example.util; public final class Strings { }")
                .write(plugins.resolve("util.jar"));

        List<String> problems = refused(conf);

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(jar + ": no plugin factories in JAR " + jar + " (expected: a file"
                + " META-INF/services/dev.proxykit.api.<Kind>Factory"), problems.get(0));
        assertTrue(problems.get(0).contains("or remove the JAR from plugins-dir"), problems.get(0));
    }

    @Test
    void unreadableJarStopsStartUpNamingTheJar() throws IOException {
        byte[] garbage = new byte[2048];
        new Random(7).nextBytes(garbage);
        Path jar = Files.write(Files.createDirectories(plugins.resolve("broken")).resolve("broken.jar"), garbage);

        List<String> problems = refused(conf);

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(jar + ": cannot read the plugin JAR: "), problems.get(0));
        assertTrue(problems.get(0).endsWith("(expected: a valid JAR file; rebuild or download the plugin again, or"
                + " remove it)"), problems.get(0));
    }

    @Test
    void nameProvidedTwiceStopsStartUpNamingBothJars() throws IOException {
        String jarName = "proxy-plugins-" + System.getProperty("proxykit.version") + ".jar";
        Path builtin = plugins.resolve("builtin").resolve(jarName);
        Path copy = Files.copy(builtin, Files.createDirectories(plugins.resolve("copy")).resolve(jarName));

        List<String> problems = refused(conf);

        assertEquals(11, problems.size(), "one problem per built-in name: " + problems);
        assertTrue(problems.contains("plugin name \"round-robin\" is provided twice for kind selector: by"
                + " dev.proxykit.plugins.RoundRobinSelectorFactory in " + builtin + " and by"
                + " dev.proxykit.plugins.RoundRobinSelectorFactory in " + copy + " (expected: one plugin per name;"
                + " remove all but one of them from plugins-dir or the class path)"), String.join("\n", problems));

        // --list-plugins is most wanted now: it lists what loads, both copies, then says what is wrong (status 2)
        Launched list = Launched.run(home, "--list-plugins", "--config", conf.toString());
        assertEquals(2, list.exitValue(), list.describe());
        long roundRobins = list.stdout().lines().filter(l -> l.startsWith("round-robin ")).count();
        assertEquals(2, roundRobins, list.describe());
        assertEquals(problems, list.stderrLines().stream().filter(l -> l.startsWith("plugin name")).toList());
    }

    /** Starts the proxy with {@code config}, which must fail with status 2; returns the stderr lines. */
    private List<String> refused(Path config) throws IOException {
        try (Launched start = Launched.start(home, "", "--config", config.toString())) {
            assertEquals(2, start.awaitExit(), start.describe());
            assertFalse(start.stdout().contains("listening on"), start.describe());
            return start.stderrLines();
        }
    }

    /** A valid configuration whose one route uses the director {@code director}; the director is on line 5. */
    private Path config(String director) throws IOException {
        return config(director, "");
    }

    /** The same with {@code settings} (a line, or none) before the routes: the director is on line 6 after a line. */
    private Path config(String director, String settings) throws IOException {
        return Files.writeString(dir.resolve(director + ".conf"), "proxykit {\n"
                + "  listen = \"127.0.0.1:" + Installation.freePort() + "\"\n"
                + settings
                + "  routes = [{\n"
                + "    upstreams = [\"http://127.0.0.1:9\"]\n"
                + "    directors = [" + director + "]\n"
                + "  }]\n"
                + "}\n");
    }
}
