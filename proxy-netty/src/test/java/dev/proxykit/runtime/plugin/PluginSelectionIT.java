package dev.proxykit.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.ErrorClassifierFactory;
import dev.proxykit.runtime.ProxyServer;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestJar;
import dev.proxykit.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Third-party plugins from a plugins folder, chosen by configuration, in a running proxy with real upstreams: an
 * error classifier and an access logger that replace the defaults globally and per route, the built-in {@code json}
 * logger, and two directors that bundle different versions of one library, each using its own on every request.
 */
class PluginSelectionIT {

    /** The SLF4J logger the test's {@code tagged} access logger writes to (the host's SLF4J, shared with plugins). */
    private static final String TAGGED = "test.tagged";

    @TempDir
    Path dir;

    private Path pluginsDir;
    private ListAppender<ILoggingEvent> tagged;
    private ListAppender<ILoggingEvent> access;
    private ProxyServer server;
    private TestUpstream upstream;

    @BeforeEach
    void buildPlugins() throws Exception {
        pluginsDir = Files.createDirectories(dir.resolve("plugins"));
        new TestJar(dir)
                .source("com.example.ops.StatusFactory", """
                        package com.example.ops;
                        import dev.proxykit.api.*;
                        public final class StatusFactory implements ErrorClassifierFactory {
                            @Override public String name() { return "custom-status"; }
                            @Override public ErrorClassifier create(PluginContext context) {
                                return error -> error.kind() == FailureKind.CONNECT_REFUSED
                                        ? new Classification(521, "custom_refused")
                                        : ErrorClassifier.standard().classify(error);
                            }
                        }
                        """)
                .source("com.example.ops.TaggedFactory", """
                        package com.example.ops;
                        import dev.proxykit.api.*;
                        public final class TaggedFactory implements AccessLoggerFactory {
                            @Override public String name() { return "tagged"; }
                            @Override public AccessLogger create(PluginContext context) {
                                String tag = context.config().getString("tag");
                                org.slf4j.Logger out = org.slf4j.LoggerFactory.getLogger("test.tagged");
                                return r -> out.info("{} {} {} {}", tag, r.status(), r.target(), r.route());
                            }
                        }
                        """)
                .service(ErrorClassifierFactory.class, "com.example.ops.StatusFactory")
                .service(AccessLoggerFactory.class, "com.example.ops.TaggedFactory")
                .resource("reference.conf", "proxykit.plugins.tagged { tag = untagged }\n")
                .write(pluginsDir.resolve("ops.jar"));

        Path greetingV1 = new TestJar(dir)
                .source("com.example.lib.Greeting", greeting("greeting version 1"))
                .write(pluginsDir.resolve("greeter-a/lib/greeting-1.jar"));
        new TestJar(dir)
                .source("com.example.greeter.a.GreeterFactory", greeter("com.example.greeter.a", "greeter-a"))
                .service(DirectorFactory.class, "com.example.greeter.a.GreeterFactory")
                .compileAgainst(greetingV1)
                .write(pluginsDir.resolve("greeter-a/greeter-a.jar"));
        new TestJar(dir)
                .source("com.example.lib.Greeting", greeting("greeting version 2"))
                .source("com.example.greeter.b.GreeterFactory", greeter("com.example.greeter.b", "greeter-b"))
                .service(DirectorFactory.class, "com.example.greeter.b.GreeterFactory")
                .write(pluginsDir.resolve("greeter-b.jar"));

        tagged = capture(TAGGED);
        access = capture("proxykit.access");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        ((Logger) LoggerFactory.getLogger(TAGGED)).detachAppender(tagged);
        ((Logger) LoggerFactory.getLogger("proxykit.access")).detachAppender(access);
    }

    @Test
    void theErrorClassifierAndAccessLoggerComeFromConfigurationGloballyAndPerRoute() throws Exception {
        int refused = TestUpstream.closedPort();
        upstream = TestUpstream.echo("echo");
        int port = start("""
                proxykit {
                  listen = "127.0.0.1:0"
                  error-classifier = custom-status
                  access-log = { type = tagged, tag = global }
                  routes = [
                    { name = inherits, match { path-prefix = "/inherits" }, upstreams = ["http://127.0.0.1:%1$d"] }
                    { name = standard, match { path-prefix = "/standard" }, upstreams = ["http://127.0.0.1:%1$d"]
                      error-classifier = default, access-log = json }
                    { name = own, match { path-prefix = "/own" }, upstreams = ["%2$s"], access-log = tagged }
                  ]
                }
                """.formatted(refused, upstream.url()));

        try (RawHttpClient client = new RawHttpClient(port)) {
            assertEquals(521, client.exchange("GET /inherits HTTP/1.1\r\nHost: h\r\n\r\n").status(),
                    "the global classifier replaces the default");
            assertEquals(502, client.exchange("GET /standard HTTP/1.1\r\nHost: h\r\n\r\n").status(),
                    "a route chooses the built-in one back");
            assertEquals(200, client.exchange("GET /own HTTP/1.1\r\nHost: h\r\n\r\n").status());
        }

        assertEquals("global 521 /inherits inherits", awaitLine(tagged, line -> line.contains("/inherits")));
        assertEquals("untagged 200 /own own", awaitLine(tagged, line -> line.contains("/own")),
                "the route's own instance, with the default from the plugin's reference.conf");
        String json = awaitLine(access, line -> line.contains("/standard"));
        assertTrue(json.startsWith("{\"time\":\"") && json.endsWith("}") && !json.contains("\n"), json);
        assertTrue(json.contains("\"target\":\"/standard\",") && json.contains("\"status\":502,")
                && json.contains("\"route\":\"standard\","), json);
        synchronized (tagged) {
            assertEquals(2, tagged.list.size(), "the json route's exchange went to json only: " + tagged.list);
        }
    }

    @Test
    void twoDirectorsBundlingDifferentVersionsOfALibraryEachUseTheirOwnOnEveryRequest() throws Exception {
        upstream = TestUpstream.echo("echo");
        int port = start("""
                proxykit {
                  listen = "127.0.0.1:0"
                  routes = [{ upstreams = ["%s"], directors = [greeter-a, greeter-b] }]
                }
                """.formatted(upstream.url()));

        try (RawHttpClient client = new RawHttpClient(port)) {
            for (int i = 0; i < 2; i++) {
                assertEquals(200, client.exchange("GET /greet HTTP/1.1\r\nHost: h\r\n\r\n").status());
                TestUpstream.Request seen = upstream.takeRequest(10);
                assertEquals("greeting version 1", seen.header("X-Greeter-A"), seen.rawHeadText());
                assertEquals("greeting version 2", seen.header("X-Greeter-B"), seen.rawHeadText());
                // documented in PluginRegistry and the plugin guide: per-request calls run with the event loop's
                // context class loader, not the plugin's; a plugin resolves what needs it in create()
                assertEquals("event loop's", seen.header("X-Greeter-A-Context-Loader"), seen.rawHeadText());
            }
        }
    }

    private int start(String hocon) throws Exception {
        ProxySettings settings = ConfigLoader.parse(hocon, "test.conf", null);
        server = ProxyServer.start(settings, PluginRegistry.discover(pluginsDir, getClass().getClassLoader()));
        return server.addresses().get(0).getPort();
    }

    private static ListAppender<ILoggingEvent> capture(String logger) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(logger)).addAppender(appender);
        return appender;
    }

    /** The first captured line that {@code matches}, waiting at most 5 s: access records are logged at the end. */
    private static String awaitLine(ListAppender<ILoggingEvent> appender, Predicate<String> matches)
            throws InterruptedException {
        for (int i = 0; i < 250; i++) {
            List<ILoggingEvent> events;
            synchronized (appender) { // the monitor AppenderBase.doAppend holds while an event loop appends
                events = List.copyOf(appender.list);
            }
            for (ILoggingEvent event : events) {
                if (matches.test(event.getFormattedMessage())) {
                    return event.getFormattedMessage();
                }
            }
            Thread.sleep(20);
        }
        return fail("no matching line within 5 s in " + appender.list);
    }

    private static String greeting(String text) {
        return "package com.example.lib; public final class Greeting { public String text() { return \"" + text
                + "\"; } }";
    }

    /** A director adding {@code X-<Name>: <its library's greeting>}, computed on every request. */
    private static String greeter(String pkg, String name) {
        String header = "X-" + Character.toUpperCase(name.charAt(0)) + name.substring(1).replace("-a", "-A")
                .replace("-b", "-B");
        return "package " + pkg + ";\n"
                + "import dev.proxykit.api.*;\n"
                + "public final class GreeterFactory implements DirectorFactory {\n"
                + "    @Override public String name() { return \"" + name + "\"; }\n"
                + "    @Override public Director create(PluginContext context) {\n"
                + "        ClassLoader own = GreeterFactory.class.getClassLoader();\n"
                + "        return request -> {\n"
                + "            request.headers().add(\"" + header + "\", new com.example.lib.Greeting().text());\n"
                + "            request.headers().add(\"" + header + "-Context-Loader\",\n"
                + "                    Thread.currentThread().getContextClassLoader() == own ? \"plugin's\" : \"event loop's\");\n"
                + "        };\n"
                + "    }\n"
                + "}\n";
    }
}
