package dev.proxykit.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginRegistry;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.slf4j.LoggerFactory;

/**
 * Proxies started from HOCON with the built-in plugins, the upstreams they talk to, and the lines their loggers
 * write, for tests that go through the whole proxy. Closes everything it started, newest first.
 */
final class Proxies implements AutoCloseable {

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Runnable> detach = new ArrayList<>();

    /** Starts a proxy from {@code hocon} on a free port and returns the port. */
    int start(String hocon) throws Exception {
        ProxySettings settings = ConfigLoader.parse(hocon, "test.conf", null);
        ProxyServer server = ProxyServer.start(settings, PluginRegistry.discover(null, getClass().getClassLoader()));
        open.add(server);
        return server.addresses().get(0).getPort();
    }

    /** Keeps {@code upstream} to close it with the rest; returns it. */
    TestUpstream keep(TestUpstream upstream) {
        open.add(upstream);
        return upstream;
    }

    /** Captures the messages the SLF4J logger {@code name} writes from now on (a live, thread-safe list). */
    List<String> capture(String name) {
        List<String> lines = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                lines.add(event.getFormattedMessage());
            }
        };
        appender.start();
        Logger logger = (Logger) LoggerFactory.getLogger(name);
        logger.addAppender(appender);
        detach.add(() -> logger.detachAppender(appender));
        return lines;
    }

    /** Whether any of {@code lines} contains every one of {@code words}. */
    static boolean anyLine(List<String> lines, String... words) {
        for (String line : lines) {
            boolean all = true;
            for (String w : words) {
                all &= line.contains(w);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    /** Waits (at most 15 s, polling every 20 ms) until {@code condition} holds; fails when it never does. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        boolean met = condition.getAsBoolean();
        for (int i = 0; i < 750 && !met; i++) {
            Thread.sleep(20);
            met = condition.getAsBoolean(); // evaluated once per round: a condition may send a request
        }
        assertTrue(met, what + " within 15 s");
    }

    /**
     * Sends {@code GET path} on a new connection and returns which upstream answered (the first line of an echo
     * body, such as {@code upstream a}), or {@code status NNN} when the answer was not a 200.
     */
    static String servedBy(int port, String path, String... headers) throws IOException {
        try (RawHttpClient c = new RawHttpClient(port)) {
            return servedBy(c, path, headers);
        }
    }

    /** As {@link #servedBy(int, String, String...)}, on an open connection. */
    static String servedBy(RawHttpClient c, String path, String... headers) throws IOException {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: lb.test\r\n");
        for (String h : headers) {
            request.append(h).append("\r\n");
        }
        RawHttpClient.Response r = c.exchange(request.append("\r\n").toString());
        if (r.status() != 200) {
            return "status " + r.status();
        }
        String body = r.bodyText();
        int nl = body.indexOf('\n');
        return nl < 0 ? body : body.substring(0, nl);
    }

    /** Which upstream served each of {@code n} requests sent one after another on one connection. */
    static List<String> servedInTurn(int port, int n) throws IOException {
        List<String> served = new ArrayList<>();
        try (RawHttpClient c = new RawHttpClient(port)) {
            for (int i = 0; i < n; i++) {
                served.add(servedBy(c, "/" + i));
            }
        }
        return served;
    }

    /** How many of {@code n} requests sent one after another on one connection each upstream served. */
    static Map<String, Integer> countsOnOneConnection(int port, int n) throws IOException {
        Map<String, Integer> counts = new HashMap<>();
        servedInTurn(port, n).forEach(who -> counts.merge(who, 1, Integer::sum));
        return counts;
    }

    /** How many of {@code n} requests, each on a new connection, each upstream served. */
    static Map<String, Integer> countsOnNewConnections(int port, int n) throws IOException {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(servedBy(port, "/" + i), 1, Integer::sum);
        }
        return counts;
    }

    @Override
    public void close() throws Exception {
        for (Runnable r : detach) {
            r.run();
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }
}
