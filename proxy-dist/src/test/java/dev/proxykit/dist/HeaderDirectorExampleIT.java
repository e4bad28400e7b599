package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin author's path, end to end: {@code examples/header-director} is built with Maven as its README says
 * (once for the class; see {@link ExampleBuild} for how it finds the current {@code proxy-api} without installing
 * anything), its JAR is dropped into {@code plugins/header-director/} of a freshly unpacked tarball, and the real
 * {@code bin/proxykit} lists it, checks a configuration that uses it, and runs it: the configured header reaches an
 * upstream started by the test.
 */
class HeaderDirectorExampleIT {

    private static final String VERSION = System.getProperty("proxykit.version");

    @TempDir
    static Path build;

    /** One installation for the class: the tests only read it (each writes its own configuration file). */
    @TempDir
    static Path dir;

    private static Path pluginJar;
    private static Path home;

    @BeforeAll
    static void buildTheExampleAndInstallIt() throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("proxykit.source.root")).toAbsolutePath().normalize();
        Path lib = Path.of(System.getProperty("proxykit.dist.dir")).resolve("lib");
        pluginJar = ExampleBuild.buildPlugin(root.resolve("examples/header-director"),
                lib.resolve("proxy-api-" + VERSION + ".jar"), root.resolve("pom.xml"), VERSION, build);
        home = Installation.unpack(dir);
        Path folder = Files.createDirectories(home.resolve("plugins/header-director"));
        Files.copy(pluginJar, folder.resolve(pluginJar.getFileName()));
    }

    @Test
    void theBuiltJarHoldsOnlyThePluginNotTheApi() throws IOException {
        try (JarFile jar = new JarFile(pluginJar.toFile())) {
            List<String> names = jar.stream().map(JarEntry::getName).toList();

            assertTrue(names.contains("META-INF/services/dev.proxykit.api.DirectorFactory"), names.toString());
            assertTrue(names.contains("reference.conf"), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.startsWith("dev/proxykit/") || n.startsWith("com/typesafe/")
                    || n.startsWith("org/slf4j/")), "provided dependencies are not packed: " + names);
        }
    }

    @Test
    void listPluginsShowsTheDroppedInPluginWithItsFolderAsSourceAndItsVersion() throws IOException {
        Launched list = Launched.run(home, "--list-plugins");

        assertEquals(0, list.exitValue(), list.describe());
        List<String> rows = PluginTable.rows(list.stdout());
        assertEquals(12, rows.size(), "the eleven built-ins and add-header\n" + list.describe());
        String folder = home.toRealPath().resolve("plugins/header-director").toString();
        assertTrue(rows.stream().anyMatch(PluginTable.row("add-header", "director", "1.0.0", folder).asMatchPredicate()),
                list.describe());
        assertTrue(rows.stream().anyMatch(row -> row.startsWith("add-header ") && row.endsWith(
                "Adds a configured header (name, value) to every request sent upstream")), list.describe());
    }

    @Test
    void theConfiguredHeaderReachesTheUpstreamReplacingTheClientsOwn() throws IOException, InterruptedException {
        try (TestUpstream upstream = TestUpstream.start("app", (request, response) -> response.send(200, "ok"))) {
            int port = Installation.freePort();
            Path conf = Files.writeString(dir.resolve("hello.conf"), "proxykit {\n"
                    + "  listen = \"127.0.0.1:" + port + "\"\n"
                    + "  routes = [{\n"
                    + "    upstreams = [\"" + upstream.url() + "\"]\n"
                    + "    directors = [single-host, { type = add-header, name = \"X-Hello\", value = \"world\" }]\n"
                    + "  }]\n"
                    + "}\n");

            Launched check = Launched.run(home, "--check", "--config", conf.toString());
            assertEquals(0, check.exitValue(), check.describe());
            assertTrue(check.stdout().contains("configuration OK: " + conf + " (1 routes, 12 plugins)"), check.describe());

            try (Launched proxy = Launched.start(home, "", "--config", conf.toString())) {
                proxy.awaitStdout("listening on");
                try (RawHttpClient client = new RawHttpClient(port)) {
                    RawHttpClient.Response response = client.exchange(
                            "GET /greet?x=1 HTTP/1.1\r\nHost: client.example\r\nx-hello: forged\r\nX-Other: kept\r\n\r\n");
                    assertEquals(200, response.status(), response.bodyText());
                }
                TestUpstream.Request seen = upstream.takeRequest(30);

                assertEquals(List.of("world"), seen.headers("X-Hello"), seen.rawHeadText());
                assertTrue(seen.headerNames().contains("X-Hello"), "sent in the configured case: " + seen.headerNames());
                assertEquals("kept", seen.header("X-Other"), seen.rawHeadText());
                assertEquals("/greet?x=1", seen.target());
                assertTrue(proxy.stdout().contains("add-header: route route-0 sends X-Hello upstream (replacing what"
                        + " the client sent)"), "the plugin logs through the host's SLF4J\n" + proxy.describe());
                assertEquals(0, proxy.terminate(), proxy.describe());
            }
        }
    }

    @Test
    void aBadSettingOfThePluginStopsStartUpAtItsFileAndLine() throws IOException {
        Path conf = Files.writeString(dir.resolve("injected.conf"), "proxykit {\n"
                + "  listen = \"127.0.0.1:" + Installation.freePort() + "\"\n"
                + "  routes = [{\n"
                + "    upstreams = [\"http://127.0.0.1:9\"]\n"
                + "    directors = [{ type = add-header, name = \"X-Hello\",\n"
                + "      value = \"world\\r\\nX-Injected: yes\" }]\n"
                + "  }]\n"
                + "}\n");

        try (Launched start = Launched.start(home, "", "--config", conf.toString())) {
            assertEquals(2, start.awaitExit(), start.describe());

            List<String> problems = start.stderrLines();
            assertEquals(1, problems.size(), start.describe());
            assertTrue(problems.get(0).startsWith(conf + ":6: proxykit.routes[0].directors[0].value: "), start.describe());
            assertTrue(problems.get(0).endsWith("found a line break (CR) at index 5)"), start.describe());
            assertFalse(start.stdout().contains("listening on"), start.describe());
        }
    }
}
