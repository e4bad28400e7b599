package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {

    @Test
    void configurationListensOn3000AndBalancesRoundRobinOver9292And9293() {
        Config demo = ConfigFactory.parseString(Demo.config(null, ConfigFactory.empty())).getConfig("proxykit");

        assertEquals("127.0.0.1:3000", demo.getString("listen"));
        Config route = demo.getConfigList("routes").get(0);
        assertEquals(List.of("http://127.0.0.1:9292", "http://127.0.0.1:9293"), route.getStringList("upstreams"));
        assertEquals("round-robin", route.getString("selector"));
        assertEquals(List.of(9292, 9293), Demo.UPSTREAM_PORTS);
    }

    @Test
    void aConfigFileOverridesTheDemosSettingsAndKeepsItsOwnOrigin(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("with \"quotes\" and \\ backslash.conf");
        Files.writeString(file, "proxykit {\n  listen = \"127.0.0.1:4000\"\n}\n");

        Config merged = ConfigFactory.parseString(Demo.config(file, ConfigFactory.empty())).resolve().getConfig("proxykit");

        assertEquals("127.0.0.1:4000", merged.getString("listen"));
        assertEquals(1, merged.getConfigList("routes").size());
        assertEquals(2, merged.getValue("listen").origin().lineNumber());
        assertTrue(merged.getValue("listen").origin().description().contains(file.getFileName().toString()),
                merged.getValue("listen").origin().description());
    }

    @Test
    void proxykitPropertiesOverrideTheDemoAndTheFileAndOtherPropertiesAreIgnored(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("override.conf");
        Files.writeString(file, "proxykit.listen = \"127.0.0.1:4000\"\nproxykit.workers = 3\n");
        Config properties = ConfigFactory.parseMap(Map.of("proxykit.listen", "127.0.0.1:4001",
                "java.version", "17", "user.dir", "/with \"quotes\""));

        Config merged = ConfigFactory.parseString(Demo.config(file, properties)).resolve();

        assertEquals("127.0.0.1:4001", merged.getString("proxykit.listen"));
        assertEquals(3, merged.getInt("proxykit.workers"));
        assertEquals(1, merged.getConfigList("proxykit.routes").size());
        assertFalse(merged.hasPath("java"));
        assertFalse(merged.hasPath("user"));
    }

    @Test
    void bannerShowsTheCurlCommandAndHowToStop() throws IOException {
        try (EchoServer first = EchoServer.start(0); EchoServer second = EchoServer.start(0)) {
            String banner = Demo.banner(new InetSocketAddress("127.0.0.1", 3000), List.of(first, second), null);

            assertTrue(banner.contains("  curl -i http://127.0.0.1:3000/hello" + System.lineSeparator()), banner);
            assertTrue(banner.contains("round-robin to the echo upstreams " + first.name() + " and " + second.name()),
                    banner);
            assertTrue(banner.contains("Ctrl-C"), banner);

            Path file = Path.of("/etc/mine.conf");
            String withFile = Demo.banner(new InetSocketAddress("127.0.0.1", 3000), List.of(first, second), file);
            assertFalse(withFile.contains("round-robin"), "the file may have chosen another selector: " + withFile);
            assertTrue(withFile.contains("with those of " + file + " over them"), withFile);
            assertTrue(withFile.contains("  curl -i http://127.0.0.1:3000/hello"), withFile);
        }
    }

    @Test
    void bannerPointsCurlAtLoopbackWhenTheProxyListensOnEveryAddress() {
        String banner = Demo.banner(new InetSocketAddress("0.0.0.0", 3000), List.of(), null);

        assertTrue(banner.contains("curl -i http://127.0.0.1:3000/hello"), banner);
    }
}
