package dev.proxykit.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.ConfigProblems;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginRegistry;
import dev.proxykit.testing.TestJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugins' part of a configuration that has problems of its own ({@link ProxyServer#pluginCheck}, which runs
 * {@link RouteAssembler#check}): what is built, what is only looked up by name, and what is closed. The plugins are
 * real JARs in {@code plugins/}, which record what was done with them in files.
 */
class RouteAssemblerTest {

    /** Appends one line to the file its {@code file} setting names; the access logger also when closed. */
    private static final String PROBES = """
            package com.example.probe;

            import dev.proxykit.api.*;
            import java.io.IOException;
            import java.io.UncheckedIOException;
            import java.nio.file.*;

            public final class Probes {
                static void note(PluginContext context, String what) {
                    try {
                        Files.writeString(Path.of(context.config().getString("file")), what + " " + context.route()
                                + " " + context.upstreams() + "\\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                public static final class Log implements AccessLoggerFactory {
                    @Override public String name() { return "probe-log"; }
                    @Override public AccessLogger create(PluginContext context) {
                        note(context, "created");
                        return new AccessLogger() {
                            @Override public void log(AccessRecord record) { }
                            @Override public void close() { note(context, "closed"); }
                        };
                    }
                }

                public static final class Direct implements DirectorFactory {
                    @Override public String name() { return "probe-director"; }
                    @Override public Director create(PluginContext context) {
                        note(context, "director");
                        return request -> { };
                    }
                }
            }
            """;

    @TempDir
    Path home;

    @Test
    void buildsThePluginsOfRoutesWithoutProblemsAsStartUpWouldAndClosesTheAccessLoggersItBuilt() throws IOException {
        new TestJar(home)
                .source("com.example.probe.Probes", PROBES)
                .service(AccessLoggerFactory.class, "com.example.probe.Probes$Log")
                .service(DirectorFactory.class, "com.example.probe.Probes$Direct")
                .write(home.resolve("plugins/probe.jar"));
        Path notes = home.resolve("notes.txt");
        String log = "{ type = probe-log, file = \"" + notes + "\" }";
        String director = "{ type = probe-director, file = \"" + notes + "\" }";

        List<String> problems = problems("""
                proxykit {
                  workers = many
                  access-log = %s
                  routes = [
                    { name = a, upstreams = ["http://127.0.0.1:1"], directors = [%s], access-log = %s }
                    { name = b, upstreams = ["nope"], directors = [%s], access-log = %s }
                    { name = c, upstreams = ["nope"], access-log = off, error-classifier = default }
                  ]
                }
                """.formatted(log, director, log, director, log));

        assertEquals(3, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith("probe.conf:2: proxykit.workers: "), problems.get(0));
        assertTrue(problems.get(1).startsWith("probe.conf:6: proxykit.routes[1].upstreams[0]: "), problems.get(1));
        assertTrue(problems.get(2).startsWith("probe.conf:7: proxykit.routes[2].upstreams[0]: "), problems.get(2));
        assertEquals(List.of(
                "created null []",
                "director a [http://127.0.0.1:1]",
                "created a []",
                "closed null []",
                "closed a []"), Files.readAllLines(notes),
                "the global logger and route a's plugins are built and the loggers closed; route b's only looked up");
    }

    @Test
    void aPluginNameNoPluginProvidesIsReportedOnceThoughEveryRouteInheritsIt() throws IOException {
        List<String> problems = problems("""
                proxykit {
                  workers = many
                  error-classifier = no-such-classifier
                  routes = [
                    { upstreams = ["http://127.0.0.1:1"] }
                    { upstreams = ["nope"] }
                  ]
                }
                """);

        assertEquals(3, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(1).startsWith("probe.conf:3: proxykit.error-classifier: no error classifier plugin"
                + " named \"no-such-classifier\" (available: default"), problems.get(1));
    }

    @Test
    void discoveryProblemsAreReportedFirstAndThePluginNamesAreNotCheckedWithoutEveryPlugin() throws IOException {
        byte[] garbage = new byte[2048];
        new Random(7).nextBytes(garbage);
        Path jar = Files.write(Files.createDirectories(home.resolve("plugins")).resolve("broken.jar"), garbage);

        List<String> problems = problems("""
                proxykit {
                  workers = many
                  routes = [{ upstreams = ["http://127.0.0.1:1"], selector = nope }]
                }
                """);

        assertEquals(2, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith(jar + ": cannot read the plugin JAR: "), problems.get(0));
        assertTrue(problems.get(1).startsWith("probe.conf:2: proxykit.workers: "), problems.get(1));
    }

    @Test
    void aFileWhosePluginsAreItsOnlyProblemsHasThemInTheOrderOfItsLines() throws Exception {
        Path file = Files.writeString(home.resolve("probe.conf"), """
                proxykit {
                  access-log = no-such-logger
                  error-classifier = no-such-classifier
                  routes = [{ upstreams = ["http://127.0.0.1:1"] }]
                }
                """);
        ProxySettings settings = ConfigLoader.load(file, ConfigFactory.empty(), home);

        List<String> problems = ProxyServer.check(settings,
                PluginRegistry.discover(settings.pluginsDir(), getClass().getClassLoader()));

        assertEquals(2, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith(file + ":2: proxykit.access-log: "), problems.get(0));
        assertTrue(problems.get(1).startsWith(file + ":3: proxykit.error-classifier: "), problems.get(1));
    }

    /** The problems of loading {@code hocon} as {@code probe.conf} in {@code home}, with the plugin check. */
    private List<String> problems(String hocon) throws IOException {
        Path file = Files.writeString(home.resolve("probe.conf"), hocon);
        return assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, ConfigFactory.empty(), home,
                ProxyServer.pluginCheck(getClass().getClassLoader()))).problems().stream()
                .map(problem -> problem.replace(file.toString(), "probe.conf"))
                .toList();
    }
}
