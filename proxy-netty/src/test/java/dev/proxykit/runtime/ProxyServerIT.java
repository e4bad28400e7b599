package dev.proxykit.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginRegistry;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The whole proxy as users run it: a HOCON configuration, the built-in plugins (found on the class path here, in
 * plugins/ in the distribution), the combined access log on SLF4J, real upstream servers.
 */
class ProxyServerIT {

    private final List<AutoCloseable> open = new ArrayList<>();
    private ListAppender<ILoggingEvent> accessLines;

    @BeforeEach
    void captureAccessLog() {
        accessLines = new ListAppender<>();
        accessLines.start();
        ((Logger) LoggerFactory.getLogger("proxykit.access")).addAppender(accessLines);
    }

    @AfterEach
    void closeAll() throws Exception {
        ((Logger) LoggerFactory.getLogger("proxykit.access")).detachAppender(accessLines);
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private TestUpstream upstream(TestUpstream u) {
        open.add(u);
        return u;
    }

    /** Starts a proxy from HOCON on a free port; returns the port. */
    private int proxy(String hocon) throws Exception {
        ProxySettings settings = ConfigLoader.parse(hocon, "test.conf", null);
        ProxyServer server = ProxyServer.start(settings, PluginRegistry.discover(null, getClass().getClassLoader()));
        open.add(server);
        return server.addresses().get(0).getPort();
    }

    private List<String> accessLogLines(int atLeast) throws InterruptedException {
        for (int i = 0; i < 100 && accessLines.list.size() < atLeast; i++) {
            Thread.sleep(20);
        }
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : accessLines.list) {
            lines.add(e.getFormattedMessage());
        }
        return lines;
    }

    @Test
    void theMinimalConfigurationFromTheDocsWorksAsWritten() throws Exception {
        TestUpstream a = upstream(TestUpstream.echo("a"));
        TestUpstream b = upstream(TestUpstream.echo("b"));
        int port = proxy("""
                proxykit {
                  listen = "127.0.0.1:0"
                  routes = [
                    {
                      upstreams = ["%s", "%s"]
                      selector = round-robin
                      directors = [single-host, { type = host-rewrite, host = "backend.example.com" }]
                    }
                  ]
                }
                """.formatted(a.url(), b.url()));
        try (RawHttpClient c = new RawHttpClient(port)) {
            List<String> servedBy = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                RawHttpClient.Response r = c.exchange("GET /hello HTTP/1.1\r\nHost: client.test\r\n\r\n");
                assertEquals(200, r.status());
                servedBy.add(r.bodyText().substring(0, r.bodyText().indexOf('\n')));
            }
            assertEquals(List.of("upstream a", "upstream b", "upstream a", "upstream b"), servedBy,
                    "round-robin alternates strictly");
            TestUpstream.Request req = a.takeRequest(5);
            assertEquals("backend.example.com", req.header("Host"), "host-rewrite sets the configured Host");
            assertEquals("client.test", req.header("X-Forwarded-Host"));
        }
    }

    @Test
    void theClientsHostIsKeptByDefaultAndHostRewriteUsesTheUpstreamsAuthority() throws Exception {
        TestUpstream a = upstream(TestUpstream.echo("a"));
        int keep = proxy("proxykit { listen = \"127.0.0.1:0\", routes = [{ upstreams = [\"" + a.url() + "\"] }] }");
        int rewrite = proxy("proxykit { listen = \"127.0.0.1:0\", routes = [{ upstreams = [\"" + a.url()
                + "\"], directors = [host-rewrite] }] }");
        try (RawHttpClient c = new RawHttpClient(keep)) {
            c.exchange("GET / HTTP/1.1\r\nhost: client.test\r\n\r\n");
            TestUpstream.Request req = a.takeRequest(5);
            assertEquals("client.test", req.header("Host"));
            assertTrue(req.headerNames().contains("host"), "and its name keeps its case");
        }
        try (RawHttpClient c = new RawHttpClient(rewrite)) {
            c.exchange("GET / HTTP/1.1\r\nhost: client.test\r\n\r\n");
            TestUpstream.Request req = a.takeRequest(5);
            assertEquals("127.0.0.1:" + a.port(), req.header("Host"));
            assertTrue(req.headerNames().contains("host"), "rewritten in place, name case kept");
        }
    }

    @Test
    void singleHostJoinsPathsAndMergesQueriesLikeGo() throws Exception {
        TestUpstream a = upstream(TestUpstream.echo("a"));
        int port = proxy("proxykit { listen = \"127.0.0.1:0\", routes = [{ upstreams = [\"" + a.url()
                + "/base/\"], directors = [{ type = single-host, query = \"k=v\" }] }] }");
        int plain = proxy("proxykit { listen = \"127.0.0.1:0\", routes = [{ upstreams = [\"" + a.url()
                + "/base\"], directors = [single-host] }] }");
        try (RawHttpClient c = new RawHttpClient(port); RawHttpClient p = new RawHttpClient(plain)) {
            String[][] cases = {
                {"/x?a=1", "/base/x?k=v&a=1"},
                {"/x", "/base/x?k=v"},
                {"//a//b?x=1;y", "/base//a//b?k=v&x=1;y"},
            };
            for (String[] cs : cases) {
                c.exchange("GET " + cs[0] + " HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals("GET " + cs[1] + " HTTP/1.1", a.takeRequest(5).requestLine(), cs[0]);
            }
            p.exchange("GET /x?a=1 HTTP/1.1\r\nHost: h\r\n\r\n");
            TestUpstream.Request req = a.takeRequest(5);
            assertEquals("GET /base/x?a=1 HTTP/1.1", req.requestLine());
            assertNull(req.header("User-Agent"), "no User-Agent added");
            assertEquals("h", req.header("Host"), "the client's Host kept");
        }
    }

    @Test
    void theRawTargetReachesTheUpstreamUnchanged() throws Exception {
        TestUpstream a = upstream(TestUpstream.echo("a"));
        int port = proxy("proxykit { listen = \"127.0.0.1:0\", routes = [{ upstreams = [\"" + a.url() + "\"] }] }");
        try (RawHttpClient c = new RawHttpClient(port)) {
            c.exchange("GET //a//b?x=1;y HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("GET //a//b?x=1;y HTTP/1.1", a.takeRequest(5).requestLine());
        }
    }

    @Test
    void theCombinedAccessLogRecords499WhenTheClientHangsUpFirst() throws Exception {
        TestUpstream slow = upstream(TestUpstream.start("slow", (req, res) -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        int port = proxy("proxykit { listen = \"127.0.0.1:0\", routes = [{ name = slow-route, upstreams = [\""
                + slow.url() + "\"] }] }");
        RawHttpClient c = new RawHttpClient(port);
        c.send("GET /wait HTTP/1.1\r\nHost: h\r\nUser-Agent: test-agent\r\n\r\n");
        slow.takeRequest(5);
        c.close();
        List<String> lines = accessLogLines(1);
        assertEquals(1, lines.size(), lines.toString());
        String line = lines.get(0);
        assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /wait HTTP/1\\.1\" 499 0 \"-\" \"test-agent\" "
                + "upstream=127\\.0\\.0\\.1:" + slow.port() + " route=slow-route .*error=client_closed phase=AWAIT_RESPONSE_HEAD"),
                line);
    }

    @Test
    void refusedAndSilentUpstreamsGive502And504InTheAccessLog() throws Exception {
        int closedPort = TestUpstream.closedPort();
        TestUpstream silent = upstream(TestUpstream.start("silent", (req, res) -> {
            try {
                Thread.sleep(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        int port = proxy("""
                proxykit {
                  listen = "127.0.0.1:0"
                  routes = [
                    { match { path-prefix = "/refused" }, upstreams = ["http://127.0.0.1:%d"] }
                    { upstreams = ["%s"], timeouts { response-header = 300ms } }
                  ]
                }
                """.formatted(closedPort, silent.url()));
        try (RawHttpClient c = new RawHttpClient(port)) {
            assertEquals(502, c.exchange("GET /refused HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertEquals(504, c.exchange("GET /silent HTTP/1.1\r\nHost: h\r\n\r\n").status());
        }
        List<String> lines = accessLogLines(2);
        assertTrue(lines.get(0).contains("\"GET /refused HTTP/1.1\" 502 ") && lines.get(0).contains("error=upstream_refused"),
                lines.get(0));
        assertTrue(lines.get(1).contains("\"GET /silent HTTP/1.1\" 504 ")
                && lines.get(1).contains("error=upstream_response_header_timeout"), lines.get(1));
    }

    @Test
    void checkReportsEveryPluginProblemWithItsKeyAndLine() throws Exception {
        ProxySettings settings = ConfigLoader.parse("""
                proxykit {
                  listen = "127.0.0.1:0"
                  routes = [
                    {
                      upstreams = ["http://127.0.0.1:9"]
                      selector = round-robbin
                      directors = [{ type = host-rewrite, host = "bad host" }]
                    }
                  ]
                }
                """, "bad.conf", null);
        PluginRegistry registry = PluginRegistry.discover(null, getClass().getClassLoader());
        List<String> problems = ProxyServer.check(settings, registry);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("bad.conf:6: proxykit.routes[0].selector"), problems.get(0));
        assertTrue(problems.get(0).contains("did you mean \"round-robin\""), problems.get(0));
        assertTrue(problems.get(1).startsWith("bad.conf:7: proxykit.routes[0].directors[0].host"), problems.get(1));
        StartupException e = assertThrows(StartupException.class, () -> ProxyServer.start(settings, registry));
        assertEquals(problems, e.problems(), "start-up refuses with the same messages");
        assertTrue(ProxyServer.check(ConfigLoader.parse(
                "proxykit { listen = \"127.0.0.1:0\", routes = [{ upstreams = [\"http://127.0.0.1:9\"] }] }",
                "good.conf", null), registry).isEmpty());
    }

    @Test
    void aGlobalPluginThatCannotBeBuiltIsReportedOnceNotOncePerRoute() throws Exception {
        ProxySettings settings = ConfigLoader.parse("""
                proxykit {
                  listen = "127.0.0.1:0"
                  access-log = { type = off, format = json }
                  error-classifier = no-such-classifier
                  routes = [
                    { match.path-prefix = "/a", upstreams = ["http://127.0.0.1:9"] }
                    { upstreams = ["http://127.0.0.1:9"] }
                  ]
                }
                """, "global.conf", null);
        List<String> problems = ProxyServer.check(settings, PluginRegistry.discover(null, getClass().getClassLoader()));

        assertEquals(2, problems.size(), problems.toString());
        assertEquals("global.conf:3: proxykit.access-log.format: unknown key (access-log = off takes no settings)",
                problems.get(0), "in the order of the file's lines");
        assertTrue(problems.get(1).startsWith("global.conf:4: proxykit.error-classifier: no error classifier plugin"
                + " named \"no-such-classifier\""), problems.get(1));
    }

    @Test
    void anAddressInUseIsAClearStartupError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ProxySettings settings = ConfigLoader.parse("proxykit { listen = \"127.0.0.1:" + taken.getLocalPort()
                    + "\", routes = [{ upstreams = [\"http://127.0.0.1:9\"] }] }", "t.conf", null);
            StartupException e = assertThrows(StartupException.class,
                    () -> ProxyServer.start(settings, PluginRegistry.discover(null, getClass().getClassLoader())));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
    }

    @Test
    void thePluginsDirectoryIsUsedWhenConfigured(@TempDir Path dir) throws Exception {
        // an empty plugins folder next to class-path plugins: discovery copes and the proxy runs
        Files.createDirectories(dir.resolve("plugins"));
        TestUpstream a = upstream(TestUpstream.echo("a"));
        ProxySettings settings = ConfigLoader.load(Files.writeString(dir.resolve("p.conf"),
                "proxykit { listen = \"127.0.0.1:0\", plugins-dir = \"" + dir.resolve("plugins")
                        + "\", routes = [{ upstreams = [\"" + a.url() + "\"] }] }"),
                ConfigFactory.empty(), dir);
        ProxyServer server = ProxyServer.start(settings,
                PluginRegistry.discover(settings.pluginsDir(), getClass().getClassLoader()));
        open.add(server);
        try (RawHttpClient c = new RawHttpClient(server.addresses().get(0).getPort())) {
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
        }
        assertFalse(server.addresses().isEmpty());
    }
}
