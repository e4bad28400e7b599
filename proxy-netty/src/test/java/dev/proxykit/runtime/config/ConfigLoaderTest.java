package dev.proxykit.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.api.Upstream;
import dev.proxykit.runtime.ProxyServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String MINIMAL = """
            proxykit {
              listen = "127.0.0.1:3000"
              routes = [
                {
                  upstreams = ["http://127.0.0.1:9292", "http://127.0.0.1:9293"]
                  selector = round-robin
                  directors = [single-host, { type = host-rewrite, host = "backend.example.com" }]
                }
              ]
            }
            """;

    /** A valid route, for tests about other settings. */
    private static final String ROUTES = "routes = [{ upstreams = [\"http://127.0.0.1:9292\"] }]";

    @TempDir
    Path dir;

    private static ProxySettings parse(String hocon) throws ConfigProblems {
        return ConfigLoader.parse(hocon, "test.conf", null);
    }

    private static List<String> problems(String hocon) {
        return assertThrows(ConfigProblems.class, () -> parse(hocon)).problems();
    }

    /** The one problem of {@code hocon}. */
    private static String problem(String hocon) {
        List<String> problems = problems(hocon);
        assertEquals(1, problems.size(), String.join("\n", problems));
        return problems.get(0);
    }

    @Test
    void minimalFileLoadsAsWritten() throws Exception {
        Path file = Files.writeString(dir.resolve("proxykit.conf"), MINIMAL);

        ProxySettings settings = ConfigLoader.load(file, ConfigFactory.empty(), dir);

        assertEquals(file, settings.source());
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 3000)), settings.listen());
        assertEquals(1, settings.routes().size());
        RouteSettings route = settings.routes().get(0);
        assertEquals("route-0", route.name());
        assertEquals(List.of(Upstream.parse("http://127.0.0.1:9292"), Upstream.parse("http://127.0.0.1:9293")),
                route.upstreams());
        assertEquals("round-robin", route.selector().type());
        assertEquals("proxykit.routes[0].selector", route.selector().path());
        assertEquals(List.of("single-host", "host-rewrite"), route.directors().stream().map(PluginSpec::type).toList());
        PluginSpec hostRewrite = route.directors().get(1);
        assertEquals("backend.example.com", hostRewrite.settings().getString("host"));
        assertTrue(!hostRewrite.settings().hasPath("type"), "type is not a setting");
        assertEquals("proxykit.routes[0].directors[1]", hostRewrite.path());
        assertEquals(file.toString(), hostRewrite.origin().filename());
        assertEquals(7, hostRewrite.origin().lineNumber());
        assertTrue(route.directors().get(0).settings().isEmpty());
        assertEquals(7, route.directors().get(0).origin().lineNumber());
    }

    @Test
    void everySettingHasItsDefault() throws Exception {
        Path home = dir.resolve("home");

        ProxySettings settings = ConfigLoader.parse("proxykit." + ROUTES, "test.conf", home);

        assertNull(settings.source());
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 3000)), settings.listen());
        assertEquals(Runtime.getRuntime().availableProcessors(), settings.workers());
        assertEquals(ProxySettings.TransportKind.AUTO, settings.transport());
        assertTrue(settings.tunnelSplice());
        assertEquals(Duration.ofSeconds(30), settings.shutdownGracePeriod());
        assertEquals(home.resolve("plugins").toAbsolutePath(), settings.pluginsDir());
        assertEquals(new Limits(8 * 1024, 32 * 1024, 32 * 1024, 0), settings.limits());
        assertEquals(new PoolSettings(32, Duration.ofSeconds(60)), settings.pool());
        assertEquals(2 * 1024 * 1024, settings.upstreamReceiveBuffer());
        RouteSettings route = settings.routes().get(0);
        assertEquals("route-0", route.name());
        assertNull(route.matchHost());
        assertNull(route.matchPathPrefix());
        assertEquals("round-robin", route.selector().type());
        assertEquals(List.of(), route.directors());
        assertEquals(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60),
                Duration.ofSeconds(60)), route.timeouts());
        assertEquals(new TlsSettings(null, false), route.tls());
        assertEquals(new ForwardedSettings(true, true, true, List.of(), null), route.forwarded());
        assertEquals("default", route.errorClassifier().type());
        assertEquals("proxykit.error-classifier", route.errorClassifier().path());
        assertEquals("combined", route.accessLog().type());
        assertEquals(false, route.mergeSlashes());
    }

    @Test
    void ioUringIsNamedWithAnUnderscoreOrAHyphen() throws Exception {
        for (String name : List.of("io_uring", "io-uring")) {
            ProxySettings settings = ConfigLoader.parse("proxykit { transport = " + name + ", " + ROUTES + " }",
                    "test.conf", dir);
            assertEquals(ProxySettings.TransportKind.IO_URING, settings.transport(), name);
        }
    }

    @Test
    void everySettingCanBeSet() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        ProxySettings settings = ConfigLoader.load(Files.writeString(dir.resolve("all.conf"), """
                proxykit {
                  listen = ["127.0.0.1:0", "[::1]:0"]
                  workers = 3
                  transport = nio
                  tunnel-splice = false
                  plugins-dir = "%s"
                  shutdown-grace-period = 0s
                  timeouts { connect = 1s, response-header = 2s, idle = 3s, client-header = 4s }
                  limits { max-request-line = 1k, max-request-header-size = 2k, max-response-header-size = 3k,
                           max-request-body = 10m }
                  upstream-keepalive { max-idle-per-host = 0, idle-timeout = 500ms }
                  upstream-receive-buffer = auto
                  tls { ca-file = ca.pem, insecure = true }
                  forwarded { x-forwarded-for = false, x-forwarded-host = false, x-forwarded-proto = false }
                  trusted-proxies = ["10.0.0.0/8", "::1"]
                  via = proxykit
                  error-classifier = { type = strict-classifier, verbose = true }
                  access-log = json
                  routes = [
                    {
                      name = api
                      match { host = "API.Example.com", path-prefix = "/api/" }
                      upstreams = ["https://10.0.0.1", { url = "http://10.0.0.2:8080/base", weight = 3 }]
                      selector = { type = weighted, seed = 1 }
                      merge-slashes = true
                      timeouts { connect = 9s }
                      tls { insecure = false }
                      forwarded { x-forwarded-host = true }
                      trusted-proxies = []
                      via = null
                      error-classifier = default
                      access-log = { type = file, path = "/var/log/api.log" }
                    }
                    { match.host = "*.example.com", upstreams = ["http://127.0.0.1:1"] }
                  ]
                }
                """.formatted(Files.createDirectories(dir.resolve("plugins")))), ConfigFactory.empty(), null);

        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0),
                new InetSocketAddress(InetAddress.getByName("::1"), 0)), settings.listen());
        assertEquals(3, settings.workers());
        assertEquals(ProxySettings.TransportKind.NIO, settings.transport());
        assertFalse(settings.tunnelSplice());
        assertEquals(dir.resolve("plugins"), settings.pluginsDir());
        assertEquals(Duration.ZERO, settings.shutdownGracePeriod());
        assertEquals(new Limits(1024, 2048, 3072, 10L * 1024 * 1024), settings.limits());
        assertEquals(new PoolSettings(0, Duration.ofMillis(500)), settings.pool());
        assertEquals(0, settings.upstreamReceiveBuffer(), "auto");
        assertEquals(List.of("10.0.0.0/8", "::1"), settings.trustedProxies().stream().map(Cidr::toString).toList(),
                "the global list, for requests that match no route");

        RouteSettings api = settings.routes().get(0);
        assertEquals("api", api.name());
        assertEquals("api.example.com", api.matchHost());
        assertEquals("/api/", api.matchPathPrefix());
        assertEquals(List.of(Upstream.parse("https://10.0.0.1"), Upstream.parse("http://10.0.0.2:8080/base", 3)),
                api.upstreams());
        assertEquals("weighted", api.selector().type());
        assertEquals(1, api.selector().settings().getInt("seed"));
        assertTrue(api.mergeSlashes());
        assertEquals(new Timeouts(Duration.ofSeconds(9), Duration.ofSeconds(2), Duration.ofSeconds(3),
                Duration.ofSeconds(4)), api.timeouts(), "unset keys come from proxykit.timeouts");
        assertEquals(new TlsSettings(ca, false), api.tls(), "ca-file from proxykit.tls, resolved next to the file");
        assertEquals(new ForwardedSettings(false, true, false, List.of(), null), api.forwarded());
        assertEquals("default", api.errorClassifier().type());
        assertEquals("file", api.accessLog().type());
        assertEquals("/var/log/api.log", api.accessLog().settings().getString("path"));

        RouteSettings second = settings.routes().get(1);
        assertEquals("route-1", second.name());
        assertEquals("*.example.com", second.matchHost());
        assertEquals(new TlsSettings(ca, true), second.tls());
        assertEquals(new ForwardedSettings(false, false, false, List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1")),
                "proxykit"), second.forwarded());
        assertEquals("strict-classifier", second.errorClassifier().type());
        assertEquals(true, second.errorClassifier().settings().getBoolean("verbose"));
        assertEquals("json", second.accessLog().type());
    }

    @Test
    void listenAcceptsEveryDocumentedForm() throws Exception {
        ProxySettings settings = parse("""
                proxykit {
                  listen = ["127.0.0.1:3000", "[::1]:3001", ":3002", "*:3003", "localhost:0", "0.0.0.0:3004"]
                  %s
                }
                """.formatted(ROUTES));

        List<InetSocketAddress> listen = settings.listen();
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 3000), listen.get(0));
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 3001), listen.get(1));
        assertTrue(listen.get(2).getAddress().isAnyLocalAddress() && listen.get(2).getPort() == 3002);
        assertTrue(listen.get(3).getAddress().isAnyLocalAddress() && listen.get(3).getPort() == 3003);
        assertTrue(listen.get(4).getAddress().isLoopbackAddress() && listen.get(4).getPort() == 0);
        assertEquals(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 3004), listen.get(5));
    }

    @Test
    void badListenAddressesAreReportedEachAtItsElement() {
        List<String> problems = problems("""
                proxykit {
                  listen = [
                    "127.0.0.1",
                    "127.0.0.1:65536",
                    "::1:3000",
                    "[::1:3000",
                    "300.1.1.1:80",
                    "127.0.0.1:http",
                    "127.0.0.1:3000",
                    "127.0.0.1:3000",
                    "127.0.0.1:3001",
                    ":3001",
                    "[::]:3001",
                    ":0",
                    "127.0.0.1:0"
                  ]
                  %s
                }
                """.formatted(ROUTES));

        String expected = " (expected: \"host:port\" such as \"127.0.0.1:3000\", \"[::1]:3000\", or \":3000\" for every"
                + " interface; port 0 to 65535)";
        assertEquals(List.of(
                "test.conf:3: proxykit.listen[0]: \"127.0.0.1\": no \":port\"" + expected,
                "test.conf:4: proxykit.listen[1]: \"127.0.0.1:65536\": port 65536 is out of range" + expected,
                "test.conf:5: proxykit.listen[2]: \"::1:3000\": more than one ':' (an IPv6 address goes in brackets,"
                        + " such as \"[::1]:3000\")" + expected,
                "test.conf:6: proxykit.listen[3]: \"[::1:3000\": no ']' closing the IPv6 address" + expected,
                "test.conf:7: proxykit.listen[4]: \"300.1.1.1:80\": \"300.1.1.1\" is not an IPv4 address" + expected,
                "test.conf:8: proxykit.listen[5]: \"127.0.0.1:http\": port \"http\" is not a number" + expected,
                "test.conf:10: proxykit.listen[7]: \"127.0.0.1:3000\" is listed twice (expected: each address once)",
                "test.conf:12: proxykit.listen[9]: \":3001\" overlaps 127.0.0.1:3001 listed before it (every interface"
                        + " includes the other; the second could not be bound) (expected: one of them, or different"
                        + " ports)",
                "test.conf:13: proxykit.listen[10]: \"[::]:3001\" overlaps 127.0.0.1:3001 listed before it (every"
                        + " interface includes the other; the second could not be bound) (expected: one of them, or"
                        + " different ports)"),
                problems);
    }

    @Test
    void bareListenPortIsRefusedWithAHint() {
        assertEquals("test.conf:1: proxykit.listen: 3000 is a bare port (expected: \"host:port\" such as"
                + " \"127.0.0.1:3000\", \"[::1]:3000\", or \":3000\" for every interface; port 0 to 65535; \":3000\""
                + " listens on every interface, \"127.0.0.1:3000\" on this machine only)",
                problem("proxykit { listen = 3000, " + ROUTES + " }"));
    }

    @Test
    void unknownKeysAreReportedWithADidYouMean() {
        List<String> problems = problems("""
                proxykit {
                  workrs = 4
                  timeouts { conect = 1s }
                  routes = [{
                    upstream = ["http://127.0.0.1:9292"]
                    upstreams = ["http://127.0.0.1:9292"]
                    match { path = "/x" }
                    color = blue
                  }]
                }
                """);

        assertEquals(List.of(
                "test.conf:2: proxykit.workrs: unknown key; did you mean \"workers\"? (expected: one of listen, workers,"
                        + " transport, tunnel-splice, home, plugins-dir, shutdown-grace-period, limits,"
                        + " upstream-keepalive, upstream-receive-buffer, timeouts, tls, forwarded, trusted-proxies, via,"
                        + " error-classifier, access-log, flush-interval, health, retries, routes)",
                "test.conf:3: proxykit.timeouts.conect: unknown key; did you mean \"connect\"? (expected: one of connect,"
                        + " response-header, idle, client-header)",
                "test.conf:5: proxykit.routes[0].upstream: unknown key; did you mean \"upstreams\"? (expected: one of"
                        + " name, match, upstreams, selector, directors, timeouts, tls, forwarded, trusted-proxies, via,"
                        + " error-classifier, access-log, merge-slashes, flush-interval, health, retries)",
                "test.conf:7: proxykit.routes[0].match.path: unknown key (expected: one of host, path-prefix)",
                "test.conf:8: proxykit.routes[0].color: unknown key (expected: one of name, match, upstreams, selector,"
                        + " directors, timeouts, tls, forwarded, trusted-proxies, via, error-classifier, access-log,"
                        + " merge-slashes, flush-interval, health, retries)"),
                problems);
    }

    @Test
    void pluginSettingsBlocksAreNotCheckedForUnknownKeys() throws Exception {
        ProxySettings settings = parse("""
                proxykit.routes = [{
                  upstreams = ["http://127.0.0.1:9292"]
                  directors = [{ type = anything, whatever = 1, nested { deep = true } }]
                }]
                """);

        assertEquals(1, settings.routes().get(0).directors().get(0).settings().getInt("whatever"));
    }

    @Test
    void wrongTypesAndOutOfRangeValuesAreReported() {
        List<String> problems = problems("""
                proxykit {
                  workers = many
                  transport = io_urin
                  shutdown-grace-period = -1s
                  timeouts.connect = 0s
                  timeouts.idle = 5
                  limits.max-request-line = lots
                  limits.max-request-body = -1
                  upstream-keepalive.max-idle-per-host = 1.5
                  tls.insecure = maybe
                  via = "a b"
                  trusted-proxies = ["10.0.0.0/33"]
                  plugins-dir = ""
                  %s
                }
                """.formatted(ROUTES));

        assertEquals(List.of(
                "test.conf:2: proxykit.workers: \"many\" (expected: 0 for one thread per CPU core, or 1 to 4096)",
                "test.conf:3: proxykit.transport: \"io_urin\"; did you mean \"io_uring\"? (expected: auto | epoll |"
                        + " io_uring | nio)",
                "test.conf:4: proxykit.shutdown-grace-period: \"-1s\" (expected: 0s or a positive duration with a unit,"
                        + " such as 5s or 500ms (units: ns, us, ms, s, m, h, d))",
                "test.conf:5: proxykit.timeouts.connect: \"0s\" (expected: a positive duration with a unit, such as 5s"
                        + " or 500ms (units: ns, us, ms, s, m, h, d))",
                "test.conf:6: proxykit.timeouts.idle: 5 has no unit (expected: a positive duration with a unit, such as"
                        + " 5s or 500ms (units: ns, us, ms, s, m, h, d))",
                "test.conf:7: proxykit.limits.max-request-line: \"lots\" (expected: a positive size in bytes, or with a"
                        + " unit such as 8k or 1m; less than 2g)",
                "test.conf:8: proxykit.limits.max-request-body: -1 (expected: 0 for no limit, or a size in bytes, or"
                        + " with a unit such as 8k or 1m)",
                "test.conf:9: proxykit.upstream-keepalive.max-idle-per-host: 1.5 (expected: 0 to turn upstream"
                        + " keep-alive off, or a positive number of connections)",
                "test.conf:10: proxykit.tls.insecure: \"maybe\" (expected: true or false)",
                "test.conf:11: proxykit.via: \"a b\" (expected: a name such as \"proxykit\" (letters, digits and"
                        + " !#$%&'*+.^_`|~:-), or null for no Via)",
                "test.conf:12: proxykit.trusted-proxies[0]: \"10.0.0.0/33\": prefix length (expected: 0 to 32)",
                "test.conf:13: proxykit.plugins-dir: \"\" (expected: a folder, or null for the class path only)"),
                problems);
    }

    @Test
    void upstreamReceiveBufferIsASizeOrAuto() throws Exception {
        assertEquals(256 * 1024, ConfigLoader.parse("proxykit { upstream-receive-buffer = 256k\n" + ROUTES + " }",
                "test.conf", null).upstreamReceiveBuffer());
        assertEquals(List.of("test.conf:1: proxykit.upstream-receive-buffer: 1024 (expected: auto, or a size from 4k"
                + " to less than 2g, such as 2m)"), problems("proxykit { upstream-receive-buffer = 1024\n" + ROUTES
                + " }"));
        assertEquals(List.of("test.conf:1: proxykit.upstream-receive-buffer: \"automatic\" (expected: auto, or a size"
                + " from 4k to less than 2g, such as 2m)"), problems("proxykit { upstream-receive-buffer = automatic\n"
                + ROUTES + " }"));
    }

    @Test
    void requestLineLongerThanTheHeadLimitIsReported() {
        assertEquals("test.conf:1: proxykit.limits.max-request-line: 65536 bytes is more than max-request-header-size"
                + " (32768 bytes) (expected: at most max-request-header-size, which includes the request line)",
                problem("proxykit.limits.max-request-line = 64k\nproxykit." + ROUTES));
    }

    @Test
    void routeProblemsAreReportedAtTheirElements() {
        List<String> problems = problems("""
                proxykit.routes = [
                  { name = a, upstreams = ["http://127.0.0.1:1"] }
                  { name = a, upstreams = ["http://127.0.0.1:2"] }
                  { upstreams = [] }
                  { name = c }
                  { name = d, upstreams = [
                      "localhost:8080",
                      { url = "http://x", weight = 0 },
                      { url = "ftp://x" },
                      { weight = 2 },
                      "http://x/?q"
                  ] }
                  { name = e, upstreams = ["http://127.0.0.1:1"], match { host = "example.com:8080", path-prefix = api } }
                  { name = f, upstreams = ["http://127.0.0.1:1"], selector = "Round_Robin", directors = [{ host = x }] }
                  just-a-string
                ]
                """);

        assertEquals(List.of(
                "test.conf:3: proxykit.routes[1].name: \"a\" is already the name of the route at test.conf:2 (expected:"
                        + " a unique name without spaces, such as \"api\")",
                "test.conf:4: proxykit.routes[2].upstreams: an empty list (expected: a list of at least one upstream"
                        + " URL, such as [\"http://127.0.0.1:8080\"])",
                "test.conf:5: proxykit.routes[3].upstreams: missing (expected: a list of at least one upstream URL,"
                        + " such as [\"http://127.0.0.1:8080\"])",
                "test.conf:7: proxykit.routes[4].upstreams[0]: invalid upstream URL \"localhost:8080\": missing scheme"
                        + " (expected: http://host[:port] or https://host[:port])",
                "test.conf:8: proxykit.routes[4].upstreams[1].weight: 0 (expected: a whole number from 1 to 1000000)",
                "test.conf:9: proxykit.routes[4].upstreams[2]: invalid upstream URL \"ftp://x\": unsupported scheme"
                        + " \"ftp\" (expected: http or https)",
                "test.conf:10: proxykit.routes[4].upstreams[3].url: missing (expected: an upstream URL such as"
                        + " \"http://127.0.0.1:8080\")",
                "test.conf:11: proxykit.routes[4].upstreams[4]: invalid upstream URL \"http://x/?q\": a query (\"?q\")"
                        + " is not allowed in an upstream URL (expected: http[s]://host[:port][/path])",
                "test.conf:13: proxykit.routes[5].match.host: \"example.com:8080\" (expected: a host name such as"
                        + " \"example.com\", \"*.example.com\" for its subdomains, or an IP address; no port; leave"
                        + " match.host out to match every host)",
                "test.conf:13: proxykit.routes[5].match.path-prefix: \"api\" (expected: a path starting with \"/\","
                        + " such as \"/api/\", without spaces, '?' or '#')",
                "test.conf:14: proxykit.routes[6].selector: \"Round_Robin\" (expected: a plugin name: lower-case"
                        + " letters, digits and '-', starting with a letter)",
                "test.conf:14: proxykit.routes[6].directors[0].type: missing (expected: the plugin's name (lower-case"
                        + " letters, digits and '-', starting with a letter), as in { type = host-rewrite, ... })",
                "test.conf:15: proxykit.routes[7]: \"just-a-string\" (expected: a route block { upstreams = [...],"
                        + " ... })"),
                problems);
    }

    @Test
    void aBadGlobalPluginSpecThatRoutesInheritIsReportedOnceAtItsKey() {
        List<String> problems = problems("""
                proxykit {
                  error-classifier = 5
                  access-log { format = short }
                  routes = [{ upstreams = ["http://127.0.0.1:1"] }, { upstreams = ["http://127.0.0.1:2"] }]
                }
                """);

        assertEquals(List.of(
                "test.conf:2: proxykit.error-classifier: 5 (expected: a plugin name such as round-robin, or a block"
                        + " { type = NAME, ...settings })",
                "test.conf:3: proxykit.access-log.type: missing (expected: the plugin's name (lower-case letters,"
                        + " digits and '-', starting with a letter), as in { type = host-rewrite, ... })"),
                problems);
    }

    @Test
    void routesMustBeGiven() {
        assertEquals("test.conf: proxykit.routes: missing (expected: a list of at least one route, such as routes ="
                + " [{ upstreams = [\"http://127.0.0.1:8080\"] }])", problem("proxykit.workers = 1"));
        assertEquals("test.conf:1: proxykit.routes: an empty list (expected: a list of at least one route, such as"
                + " routes = [{ upstreams = [\"http://127.0.0.1:8080\"] }])", problem("proxykit.routes = []"));
    }

    @Test
    void settingsOutsideTheProxykitBlockAreReported() {
        List<String> problems = problems("""
                listen = ":80"
                proxykti { workers = 2 }
                backends = ["http://127.0.0.1:9292"]
                proxykit.routes = [{ upstreams = ${backends} }]
                """);

        assertEquals(List.of(
                "test.conf:1: listen: a proxykit setting outside the proxykit block (expected: proxykit { listen = ... })",
                "test.conf:2: proxykti: unknown key; did you mean \"proxykit\"? (expected: proxykit { ... } around the"
                        + " settings)"),
                problems, "other top-level keys may hold values for substitutions");
    }

    @Test
    void problemsInSeveralPlacesAreReportedTogetherInFileOrder() {
        List<String> problems = problems("""
                proxykit {
                  routes = [{ upstreams = ["http//127.0.0.1:9292"] }]
                  workers = -1
                  listen = "nowhere"
                  timeouts { connect = never }
                }
                """);

        assertEquals(4, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith("test.conf:2: proxykit.routes[0].upstreams[0]: invalid upstream URL"
                + " \"http//127.0.0.1:9292\": missing scheme"), problems.get(0));
        assertTrue(problems.get(0).endsWith("did you mean \"http://127.0.0.1:9292\"?"), problems.get(0));
        assertTrue(problems.get(1).startsWith("test.conf:3: proxykit.workers: -1 (expected:"), problems.get(1));
        assertTrue(problems.get(2).startsWith("test.conf:4: proxykit.listen: \"nowhere\": no \":port\""), problems.get(2));
        assertTrue(problems.get(3).startsWith("test.conf:5: proxykit.timeouts.connect: \"never\""), problems.get(3));
    }

    @Test
    void pluginProblemsAreReportedWithTheConfigurationsOwnInOneRunInFileOrder() {
        List<String> problems = assertThrows(ConfigProblems.class, () -> ConfigLoader.parse("""
                proxykit {
                  timeouts { connect = banana }
                  routes = [
                    {
                      upstreams = ["http://127.0.0.1:9"]
                      directors = [single-hots]
                    }
                    {
                      upstreams = ["localhost:8080"]
                      selector = round-robbin
                      directors = [{ type = host-rewrite, host = "http://not-built.example" }, 7]
                    }
                    {
                      name = api
                      upstreams = ["http://127.0.0.1:9"]
                      directors = [{ type = host-rewrite, host = "bad host" }]
                      error-classifier = defualt
                    }
                  ]
                  access-log = jsno
                }
                """, "both.conf", null, ProxyServer.pluginCheck(getClass().getClassLoader()))).problems();

        assertEquals(8, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith("both.conf:2: proxykit.timeouts.connect: \"banana\""), problems.get(0));
        assertEquals("both.conf:6: proxykit.routes[0].directors[0]: no director plugin named \"single-hots\""
                + " (available: host-rewrite, single-host; did you mean \"single-host\"?)", problems.get(1));
        assertTrue(problems.get(2).startsWith("both.conf:9: proxykit.routes[1].upstreams[0]: invalid upstream URL"),
                problems.get(2));
        assertTrue(problems.get(3).startsWith("both.conf:10: proxykit.routes[1].selector: no selector plugin named"
                + " \"round-robbin\" (available: "), problems.get(3));
        assertTrue(problems.get(4).startsWith("both.conf:11: proxykit.routes[1].directors[1]: 7 (expected: "),
                problems.get(4));
        assertTrue(problems.get(5).startsWith("both.conf:16: proxykit.routes[2].directors[0].host: \"bad host\""
                + " (expected: "), problems.get(5));
        assertTrue(problems.get(6).startsWith("both.conf:17: proxykit.routes[2].error-classifier: no error classifier"
                + " plugin named \"defualt\" (available: default; did you mean \"default\"?"), problems.get(6));
        assertTrue(problems.get(7).startsWith("both.conf:20: proxykit.access-log: no access logger plugin named"
                + " \"jsno\""), problems.get(7));
        assertTrue(problems.stream().noneMatch(p -> p.contains("not-built")),
                "the plugins of a route with problems are looked up by name, not built: " + problems);
    }

    @Test
    void thePluginCheckRunsOnlyWhenThereAreProblemsAndSeesThePluginsThatCouldBeRead() throws Exception {
        List<PluginUse> seen = new ArrayList<>();
        PluginCheck recorder = (use, report) -> {
            seen.add(use);
            report.problem(null, "a problem of the plugins folder");
        };
        ConfigLoader.parse(MINIMAL, "ok.conf", dir, recorder);
        assertEquals(List.of(), seen, "a configuration without problems goes on to build its plugins");

        List<String> problems = assertThrows(ConfigProblems.class, () -> ConfigLoader.parse("""
                proxykit {
                  workers = many
                  error-classifier = 5
                  routes = [
                    { name = a, upstreams = ["http://127.0.0.1:1"], directors = [single-host] }
                    { name = b, upstreams = ["nope"], selector = first, directors = [single-host, 7, host-rewrite] }
                  ]
                }
                """, "use.conf", dir, recorder)).problems();

        assertEquals(1, seen.size());
        assertEquals("a problem of the plugins folder", problems.get(0), "a line without an origin comes first");
        assertEquals(5, problems.size(), String.join("\n", problems));
        PluginUse use = seen.get(0);
        assertEquals(dir.resolve("plugins"), use.pluginsDir());
        assertNull(use.errorClassifier());
        assertEquals("combined", use.accessLog().type());
        PluginUse.Route a = use.routes().get(0);
        assertTrue(a.buildable());
        assertEquals("a", a.name());
        assertEquals(List.of(Upstream.parse("http://127.0.0.1:1")), a.upstreams());
        assertEquals("round-robin", a.selector().type());
        assertEquals(List.of("single-host"), a.directors().stream().map(PluginSpec::type).toList());
        assertNull(a.errorClassifier(), "the bad global one, reported as an engine problem");
        assertEquals(use.accessLog(), a.accessLog());
        PluginUse.Route b = use.routes().get(1);
        assertFalse(b.buildable());
        assertNull(b.name());
        assertNull(b.upstreams());
        assertEquals("first", b.selector().type());
        assertEquals(List.of("single-host", "host-rewrite"), b.directors().stream().map(PluginSpec::type).toList());
        assertEquals(List.of("proxykit.routes[1].directors[0]", "proxykit.routes[1].directors[2]"),
                b.directors().stream().map(PluginSpec::path).toList());
    }

    @Test
    void withoutAPluginsDirThatCouldBeReadThePluginCheckDoesNotRun() {
        List<PluginUse> seen = new ArrayList<>();
        PluginCheck recorder = (use, report) -> seen.add(use);
        String routes = ", workers = many, routes = [{ upstreams = [\"http://127.0.0.1:1\"], selector = nope }] }";

        assertThrows(ConfigProblems.class, () -> ConfigLoader.parse(
                "proxykit { plugins-dir = \"" + dir.resolve("nowhere") + "\"" + routes, "t.conf", dir, recorder));
        assertThrows(ConfigProblems.class, () -> ConfigLoader.parse(
                "proxykit { home = []" + routes, "t.conf", null, recorder));
        assertEquals(List.of(), seen, "which plugins exist is not known");

        assertThrows(ConfigProblems.class, () -> ConfigLoader.parse(
                "proxykit { home = []" + routes, "t.conf", dir, recorder));
        assertEquals(1, seen.size(), "plugins-dir resolves against the home given, not proxykit.home");
        assertEquals(dir.resolve("plugins"), seen.get(0).pluginsDir());
    }

    @Test
    void overridesWinOverTheFileAndTheDefaults() throws Exception {
        Path file = Files.writeString(dir.resolve("app.conf"), MINIMAL.replace("listen = \"127.0.0.1:3000\"",
                "listen = \"127.0.0.1:3000\"\n  workers = 2"));
        Config overrides = ConfigFactory.parseMap(Map.of(
                "proxykit.workers", "7",
                "proxykit.listen", "127.0.0.1:4000",
                "proxykit.timeouts.connect", "250ms",
                "proxykit.forwarded.x-forwarded-for", "false",
                "proxykit.home", "/opt/proxykit",
                "java.version", "ignored: not under proxykit"), "system properties");

        ProxySettings settings = ConfigLoader.load(file, overrides, null);

        assertEquals(7, settings.workers());
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 4000)), settings.listen());
        assertEquals(Duration.ofMillis(250), settings.routes().get(0).timeouts().connect());
        assertEquals(false, settings.routes().get(0).forwarded().xForwardedFor());
        assertEquals(Path.of("/opt/proxykit/plugins"), settings.pluginsDir(), "plugins-dir resolves against proxykit.home");
    }

    @Test
    void aPluginsDirTheFileNamesThatDoesNotExistIsAProblemWithAHintAboutTheBuiltIns() {
        ConfigProblems e = assertThrows(ConfigProblems.class,
                () -> parse("proxykit { plugins-dir = \"" + dir.resolve("nowhere") + "\", " + ROUTES + " }"));
        assertEquals(List.of("test.conf:1: proxykit.plugins-dir: \"" + dir.resolve("nowhere") + "\": "
                + dir.resolve("nowhere") + " does not exist (expected: a folder, or null for the class path only; the"
                + " built-in plugins are in plugins/builtin of the installation, so copy or link that folder into it"
                + " too)"), e.problems());
    }

    @Test
    void homeArgumentWinsOverProxykitHome() throws Exception {
        Config overrides = ConfigFactory.parseMap(Map.of("proxykit.home", "/opt/proxykit"), "system properties");
        Path file = Files.writeString(dir.resolve("app.conf"), MINIMAL);

        assertEquals(dir.resolve("plugins"), ConfigLoader.load(file, overrides, dir).pluginsDir());
        assertNull(parse("proxykit { plugins-dir = null, " + ROUTES + " }").pluginsDir(),
                "null: plugins from the class path only");
    }

    @Test
    void badOverridesAreReportedAtTheirOrigin() throws Exception {
        Path file = Files.writeString(dir.resolve("app.conf"), MINIMAL);
        Config overrides = ConfigFactory.parseMap(Map.of("proxykit.workrs", "3", "proxykit.workers", "x"),
                "system properties");

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, overrides, null));

        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.problems().contains("system properties: proxykit.workers: \"x\" (expected: 0 for one thread per CPU"
                + " core, or 1 to 4096)"), e.getMessage());
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("system properties: proxykit.workrs: unknown key;"
                + " did you mean \"workers\"?")), e.getMessage());
    }

    @Test
    void syntaxErrorIsOneLineWithFileAndLine() throws Exception {
        Path file = Files.writeString(dir.resolve("broken.conf"), "proxykit {\n  listen = \"127.0.0.1:3000\"\n  routes = [\n");

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, null, null));

        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith(file + ":4: syntax error: "), e.getMessage());
    }

    /** The typesafe library's words, less its hints about quoting and .properties files and its Java names. */
    @Test
    void syntaxAndIncludeErrorsAreSaidPlainly() throws Exception {
        assertEquals(List.of(":2: syntax error: a quoted string is not closed on its line (expected: a closing \""
                + " before the line ends)"), loadProblems("proxykit {\n  listen = \"127.0.0.1:4201\n}\n"));
        assertEquals(List.of(":3: syntax error: the file ends inside a { } or [ ] that is not closed (expected: the"
                + " closing } or ])"), loadProblems("proxykit {\n  listen = \"127.0.0.1:4201\"\n"));
        assertEquals(List.of(":3: syntax error: the file ends inside a { } or [ ] that is not closed (expected: the"
                + " closing } or ])"), loadProblems("proxykit {\n  routes = [ { upstreams = [\"http://127.0.0.1:1\"] },"
                + "\n"));
        assertEquals(List.of(":3: syntax error: Expecting a value but got wrong token: '}'"),
                loadProblems("proxykit {\n  listen = \n}\n"));
        ConfigProblems missing = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(Files.writeString(
                dir.resolve("includes.conf"), "include required(\"missing.conf\")\n"), null, null));
        assertEquals(List.of(dir.resolve("includes.conf") + ":1: cannot read the included missing.conf: the included"
                + " file is not found next to the file that includes it (nor on the class path)"), missing.problems());
        Path file = Files.writeString(dir.resolve("file-include.conf"), "# include \"gone.conf\" once\n"
                + "proxykit.workers = 1\ninclude required(file(\"gone.conf\"))\n");
        assertEquals(List.of(file + ":3: cannot read the included gone.conf: no such file (a file() include is relative"
                + " to the working directory, " + Path.of("").toAbsolutePath() + "; a plain include \"...\" is"
                + " relative to the file that includes it)"),
                assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, null, null)).problems());
    }

    /** The problems of {@code text} as a file, each without the file's name in front. */
    private List<String> loadProblems(String text) throws IOException {
        Path file = Files.writeString(dir.resolve("plain.conf"), text);
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, null, null));
        return e.problems().stream().map(p -> p.startsWith(file.toString()) ? p.substring(file.toString().length())
                : p).toList();
    }

    @Test
    void unresolvedSubstitutionIsReported() {
        assertEquals("test.conf:1: unresolved substitution: Could not resolve substitution to a value: ${nope}",
                problem("proxykit.workers = ${nope}"));
    }

    @Test
    void missingFileIsReported() {
        Path file = dir.resolve("missing.conf");

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, null, null));

        assertEquals(List.of(file + ": cannot read the configuration file: no such file (expected: a readable HOCON"
                + " file)"), e.problems());
    }

    @Test
    void caFileMustBeReadable() throws Exception {
        Path file = Files.writeString(dir.resolve("app.conf"), "proxykit {\n  tls.ca-file = \"missing.pem\"\n  "
                + ROUTES + "\n}\n");

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, null, null));

        assertEquals(List.of(file + ":2: proxykit.tls.ca-file: \"missing.pem\": " + dir.resolve("missing.pem")
                + " is not a readable file (expected: a readable PEM file of CA certificates, or null for the JDK's trust"
                + " store)"), e.problems());
    }

    @Test
    void aSystemPropertyThatWouldChangeOneElementOfTheFilesRoutesIsRefusedNotAppliedToAWholeNewList() throws Exception {
        Config overrides = ConfigFactory.parseMap(Map.of(
                "proxykit.routes.0.upstreams.0", "http://127.0.0.1:9999"), "system properties");
        Path file = Files.writeString(dir.resolve("app.conf"), MINIMAL);

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigLoader.load(file, overrides, null));

        assertEquals(List.of("system properties: proxykit.routes.0.upstreams.0: changes one element of the list"
                + " proxykit.routes of the configuration file, which would replace the whole list with what the system"
                + " properties give (expected: the list edited in the file)"), e.problems());
    }

    @Test
    void listsFromSystemPropertiesAreAccepted() throws Exception {
        Config overrides = ConfigFactory.parseMap(Map.of(
                "proxykit.listen.0", "127.0.0.1:4001",
                "proxykit.listen.1", "127.0.0.1:4002"), "system properties");
        Path file = Files.writeString(dir.resolve("app.conf"), MINIMAL);

        ProxySettings settings = ConfigLoader.load(file, overrides, null);

        assertEquals(List.of(4001, 4002), settings.listen().stream().map(InetSocketAddress::getPort).toList());
    }
}
