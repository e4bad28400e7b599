package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.dist.TarEntries.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The tarball as built by {@code package}: what is in it, where, with which permissions. */
class DistributionLayoutIT {

    private static final String VERSION = System.getProperty("proxykit.version");
    private static final String TOP = "proxykit-" + VERSION + "/";

    private static Map<String, Entry> entries;

    @BeforeAll
    static void readTarball() throws IOException {
        Path tarball = Path.of(System.getProperty("proxykit.dist.tarball"));
        assertTrue(Files.isRegularFile(tarball), tarball + " (expected: built by mvn package)");
        List<Entry> list = TarEntries.read(tarball);
        entries = list.stream().collect(Collectors.toMap(e -> stripSlash(e.name()), Function.identity()));
    }

    @Test
    void everyEntryIsUnderTheSingleTopFolder() {
        for (String name : entries.keySet()) {
            assertTrue(name.startsWith(TOP) || name.equals(stripSlash(TOP)), name);
        }
    }

    @Test
    void launcherIsAnExecutableFile() {
        Entry launcher = entries.get(TOP + "bin/proxykit");

        assertTrue(launcher != null && !launcher.directory(), "bin/proxykit in " + entries.keySet());
        assertEquals(0755, launcher.mode(), Integer.toOctalString(launcher.mode()));
    }

    @Test
    void confHoldsTheConfigurationAndTheLoggingSetUp() {
        assertEquals(Set.of("logback.xml", "proxykit.conf"), filesIn("conf/"));
        assertEquals(0644, entries.get(TOP + "conf/proxykit.conf").mode());
    }

    @Test
    void logsIsAnEmptyFolder() {
        Entry logs = entries.get(TOP + "logs");

        assertTrue(logs != null && logs.directory(), "logs/ in " + entries.keySet());
        assertEquals(Set.of(), filesIn("logs/"));
    }

    @Test
    void libHoldsTheLauncherTheEngineAndTheirRuntimeJarsButNoPlugins() {
        Set<String> lib = filesIn("lib/");

        for (String jar : List.of("proxy-dist-" + VERSION + ".jar", "proxy-api-" + VERSION + ".jar",
                "proxy-netty-" + VERSION + ".jar", "config-1.4.9.jar", "slf4j-api-2.0.17.jar", "guice-7.0.0.jar",
                "logback-classic-1.5.38.jar", "logback-core-1.5.38.jar", "netty-common-4.2.18.Final.jar",
                "netty-buffer-4.2.18.Final.jar", "netty-transport-4.2.18.Final.jar",
                "netty-handler-4.2.18.Final.jar", "netty-codec-http-4.2.18.Final.jar")) {
            assertTrue(lib.contains(jar), jar + " in " + lib);
        }
        assertTrue(lib.stream().noneMatch(jar -> jar.startsWith("proxy-plugins")), lib.toString());
        assertTrue(lib.stream().noneMatch(jar -> jar.startsWith("junit") || jar.startsWith("opentest4j")),
                lib.toString());
    }

    @Test
    void libKeepsEpollAndIoUringForLinuxX86AndArmOnly() {
        Set<String> natives = filesIn("lib/").stream().filter(jar -> jar.contains("-native-"))
                .collect(Collectors.toCollection(TreeSet::new));

        assertEquals(new TreeSet<>(Set.of(
                "netty-transport-native-epoll-4.2.18.Final-linux-x86_64.jar",
                "netty-transport-native-epoll-4.2.18.Final-linux-aarch_64.jar",
                "netty-transport-native-io_uring-4.2.18.Final-linux-x86_64.jar",
                "netty-transport-native-io_uring-4.2.18.Final-linux-aarch_64.jar",
                "netty-transport-native-unix-common-4.2.18.Final.jar")), natives);
        assertTrue(filesIn("lib/").stream().noneMatch(jar -> jar.contains("kqueue") || jar.contains("macos")
                || jar.contains("quic") || jar.contains("http3") || jar.contains("riscv")), filesIn("lib/").toString());
    }

    @Test
    void builtInPluginsAreInTheirOwnFolderUnderPlugins() {
        Set<String> plugins = entries.keySet().stream()
                .filter(name -> name.startsWith(TOP + "plugins/") && !entries.get(name).directory())
                .collect(Collectors.toSet());

        assertEquals(Set.of(TOP + "plugins/builtin/proxy-plugins-" + VERSION + ".jar",
                TOP + "plugins/builtin/reference.conf"), plugins, "the JAR, and its settings documented beside it");
    }

    @Test
    void unpackedDirOutputHasTheSameFilesAsTheTarballAndARunnableLauncher() throws IOException {
        Path dir = Path.of(System.getProperty("proxykit.dist.dir"));
        Set<String> unpacked;
        try (Stream<Path> files = Files.walk(dir)) {
            unpacked = files.filter(Files::isRegularFile).map(p -> TOP + dir.relativize(p).toString().replace('\\', '/'))
                    .filter(name -> !name.startsWith(TOP + "logs/"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> packed = entries.values().stream().filter(e -> !e.directory()).map(Entry::name)
                .collect(Collectors.toCollection(TreeSet::new));

        assertEquals(packed, unpacked);
        assertTrue(Files.isExecutable(dir.resolve("bin/proxykit")));
    }

    @Test
    void launcherJarNamesItsVersionInTheManifest() throws IOException {
        Path jar = Path.of(System.getProperty("proxykit.dist.dir")).resolve("lib/proxy-dist-" + VERSION + ".jar");
        try (JarFile file = new JarFile(jar.toFile())) {
            assertEquals(VERSION, file.getManifest().getMainAttributes().getValue("Implementation-Version"));
        }
    }

    @Test
    void shippedConfigurationIsTheDocumentedExample() {
        Path conf = Path.of(System.getProperty("proxykit.dist.dir")).resolve("conf/proxykit.conf");
        Config proxykit = ConfigFactory.parseFile(conf.toFile()).resolve().getConfig("proxykit");

        assertEquals("127.0.0.1:3000", proxykit.getString("listen"));
        Config route = proxykit.getConfigList("routes").get(0);
        assertEquals(List.of("http://127.0.0.1:9292", "http://127.0.0.1:9293"), route.getStringList("upstreams"));
        assertEquals("round-robin", route.getString("selector"));
        assertEquals("single-host", route.getList("directors").get(0).unwrapped());
        assertEquals(Map.of("type", "host-rewrite", "host", "backend.example.com"),
                route.getList("directors").get(1).unwrapped());
    }

    @Test
    void accessLogGoesThroughANonBlockingAsyncAppenderToItsOwnFile() throws Exception {
        Path xml = Path.of(System.getProperty("proxykit.dist.dir")).resolve("conf/logback.xml");
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());

        Element logger = byName(doc.getElementsByTagName("logger"), "proxykit.access");
        assertEquals("false", logger.getAttribute("additivity"));
        String appenderName = ((Element) logger.getElementsByTagName("appender-ref").item(0)).getAttribute("ref");
        Element async = byName(doc.getElementsByTagName("appender"), appenderName);
        assertEquals("ch.qos.logback.classic.AsyncAppender", async.getAttribute("class"));
        assertEquals("true", async.getElementsByTagName("neverBlock").item(0).getTextContent().trim());
        String fileAppenderName = ((Element) async.getElementsByTagName("appender-ref").item(0)).getAttribute("ref");
        Element file = byName(doc.getElementsByTagName("appender"), fileAppenderName);
        assertEquals("${LOG_DIR}/access.log", file.getElementsByTagName("file").item(0).getTextContent().trim());
        assertEquals("WARN", byName(doc.getElementsByTagName("logger"), "io.netty").getAttribute("level"));
    }

    private static Element byName(NodeList nodes, String name) {
        for (int i = 0; i < nodes.getLength(); i++) {
            Element element = (Element) nodes.item(i);
            if (element.getAttribute("name").equals(name)) {
                return element;
            }
        }
        throw new AssertionError("no element named " + name);
    }

    /** The names of the files directly in {@code folder} (relative to the top folder). */
    private static Set<String> filesIn(String folder) {
        return entries.entrySet().stream()
                .filter(e -> !e.getValue().directory() && e.getKey().startsWith(TOP + folder))
                .map(e -> e.getKey().substring((TOP + folder).length()))
                .filter(rest -> !rest.contains("/"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static String stripSlash(String name) {
        return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }
}
