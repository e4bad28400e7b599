package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.api.Upstream;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.PluginSpec;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.config.RouteSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped {@code conf/proxykit.conf} against the engine: it loads into the documented example, and every default
 * its comments state ({@code "  # key = value"} lines) is the built-in default from {@code reference.conf}.
 */
class ShippedConfigIT {

    private static final Path HOME = Path.of(System.getProperty("proxykit.dist.dir"));
    private static final Path CONF = HOME.resolve("conf/proxykit.conf");

    /** A documented default: two spaces, {@code #}, one space, a key path, {@code =}, the value. */
    private static final Pattern DEFAULT_LINE = Pattern.compile("^  # ([a-z][a-z0-9-]*(?:\\.[a-z][a-z0-9-]*)*) = (.+)$");

    @Test
    void loadsIntoOneRouteWithTheExampleUpstreamsSelectorAndDirectors() throws Exception {
        ProxySettings settings = ConfigLoader.load(CONF, ConfigFactory.empty(), HOME);

        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 3000)), settings.listen());
        assertEquals(1, settings.routes().size());
        RouteSettings route = settings.routes().get(0);
        assertEquals(List.of(Upstream.parse("http://127.0.0.1:9292"), Upstream.parse("http://127.0.0.1:9293")),
                route.upstreams());
        assertEquals("round-robin", route.selector().type());
        assertEquals(List.of("single-host", "host-rewrite"), route.directors().stream().map(PluginSpec::type).toList());
        assertEquals("backend.example.com", route.directors().get(1).settings().getString("host"));
        assertEquals(HOME.resolve("plugins"), settings.pluginsDir());
    }

    @Test
    void everyDefaultStatedInTheCommentsIsTheBuiltInDefault() throws IOException {
        Config reference = ConfigFactory.defaultReference().getConfig("proxykit");
        List<String> documented = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        List<String> lines = Files.readAllLines(CONF);
        for (int i = 0; i < lines.size(); i++) {
            Matcher line = DEFAULT_LINE.matcher(lines.get(i));
            if (!line.matches()) {
                continue;
            }
            String key = line.group(1);
            documented.add(key);
            Config stated = ConfigFactory.parseString(key + " = " + line.group(2));
            if (!reference.hasPath(key)) {
                wrong.add("proxykit.conf:" + (i + 1) + ": " + key + ": not in reference.conf");
            } else if (!sameValue(stated, reference, key)) {
                wrong.add("proxykit.conf:" + (i + 1) + ": " + key + " = " + line.group(2) + " but reference.conf has "
                        + reference.getValue(key).render());
            }
        }
        assertFalse(documented.isEmpty(), "no '  # key = value' lines in " + CONF);
        assertTrue(documented.contains("timeouts.connect"), documented.toString());
        assertEquals(List.of(), wrong);
        // the README says the file lists every key: each one of the engine's reference.conf, but listen (set above
        // the comments), home (the launcher's) and those without a default (null: tls.ca-file, via); the plugins'
        // settings (plugins.*) are theirs, and the test run's system properties (proxykit.version, ...) are not keys
        List<String> missing = new ArrayList<>();
        for (var entry : reference.entrySet()) {
            String key = entry.getKey();
            boolean engines = entry.getValue().origin().resource() != null && !key.startsWith("plugins.");
            if (engines && !documented.contains(key) && !List.of("listen", "home").contains(key)) {
                missing.add(key);
            }
        }
        assertEquals(List.of(), missing, "keys of reference.conf the shipped file does not document");
    }

    /** Equal as durations, else as sizes, else as plain values. */
    private static boolean sameValue(Config stated, Config reference, String key) {
        try {
            return stated.getDuration(key).equals(reference.getDuration(key));
        } catch (ConfigException e) {
            // not a duration
        }
        try {
            return stated.getBytes(key).equals(reference.getBytes(key));
        } catch (ConfigException e) {
            // not a size
        }
        return stated.getValue(key).unwrapped().equals(reference.getValue(key).unwrapped());
    }
}
