package dev.proxykit.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.Director;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.ErrorClassifierFactory;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.PluginFactory;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.ConfigProblems;
import dev.proxykit.runtime.config.RouteSettings;
import dev.proxykit.testing.TestJar;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginRegistryTest {

    private static final String PROBE = """
            package com.example.probe;

            import dev.proxykit.api.Director;
            import dev.proxykit.api.DirectorFactory;
            import dev.proxykit.api.PluginContext;
            import dev.proxykit.api.ProxyRequest;

            public final class ProbeFactory implements DirectorFactory {
                private final boolean tcclInConstructor =
                        Thread.currentThread().getContextClassLoader() == ProbeFactory.class.getClassLoader();

                @Override public String name() { return "probe"; }

                @Override public String description() { return "tccl-in-constructor=" + tcclInConstructor; }

                @Override public Director create(PluginContext context) {
                    boolean tccl = Thread.currentThread().getContextClassLoader() == ProbeFactory.class.getClassLoader();
                    String text = "tccl-in-create=" + tccl + ",greeting=" + context.config().getString("greeting")
                            + ",level=" + context.config().getInt("level") + ",name=" + context.pluginName()
                            + ",route=" + context.route() + ",upstreams=" + context.upstreams();
                    return new Director() {
                        @Override public void direct(ProxyRequest request) { }
                        @Override public String toString() { return text; }
                    };
                }
            }
            """;

    private static final String PROBE_DEFAULTS = """
            proxykit.plugins.probe {
              greeting = "hello from the plugin's reference.conf"
              level = 1
            }
            """;

    /** The files this process holds open, as Linux shows them. */
    private static final Path OPEN_FILES = Path.of("/proc/self/fd");

    private static Path probeJar;
    private static Path greetingV1Jar;
    private static Path greeterAJar;
    private static Path greeterBJar;
    private static Path apiCopyJar;
    private static Path dup1Jar;
    private static Path dup2Jar;
    private static Path noFactoriesJar;
    private static Path failingJar;
    private static Path kindsJar;
    private static Path badNameJar;
    private static Path brokenConstructorJar;
    private static Path contextJar;

    @TempDir
    static Path buildDir;

    @TempDir
    Path pluginsDir;

    @BeforeAll
    static void buildPlugins() throws IOException {
        probeJar = new TestJar(buildDir)
                .source("com.example.probe.ProbeFactory", PROBE)
                .service(DirectorFactory.class, "com.example.probe.ProbeFactory")
                .resource("reference.conf", PROBE_DEFAULTS)
                .version("1.2.3")
                .write(buildDir.resolve("jars/probe.jar"));

        greetingV1Jar = new TestJar(buildDir)
                .source("com.example.lib.Greeting", greeting("greeting version 1"))
                .write(buildDir.resolve("jars/greeting-1.jar"));
        greeterAJar = new TestJar(buildDir)
                .source("com.example.greeter.a.GreeterFactory", greeter("com.example.greeter.a", "greeter-a"))
                .service(DirectorFactory.class, "com.example.greeter.a.GreeterFactory")
                .compileAgainst(greetingV1Jar)
                .resource("META-INF/maven/com.example/greeter-a/pom.properties",
                        "groupId=com.example\nartifactId=greeter-a\nversion=2.0.0\n")
                .write(buildDir.resolve("jars/greeter-a.jar"));
        greeterBJar = new TestJar(buildDir)
                .source("com.example.lib.Greeting", greeting("greeting version 2"))
                .source("com.example.greeter.b.GreeterFactory", greeter("com.example.greeter.b", "greeter-b"))
                .service(DirectorFactory.class, "com.example.greeter.b.GreeterFactory")
                .write(buildDir.resolve("jars/greeter-b.jar"));

        apiCopyJar = new TestJar(buildDir)
                .source("com.example.copy.CopyFactory", simpleDirector("com.example.copy", "CopyFactory", "api-copy"))
                .service(DirectorFactory.class, "com.example.copy.CopyFactory")
                .bundleHostClass(DirectorFactory.class)
                .bundleHostClass(PluginFactory.class)
                .bundleHostClass(Director.class)
                .bundleHostClass(PluginContext.class)
                .write(buildDir.resolve("jars/api-copy.jar"));

        dup1Jar = new TestJar(buildDir)
                .source("com.example.one.DupFactory", simpleDirector("com.example.one", "DupFactory", "dup"))
                .service(DirectorFactory.class, "com.example.one.DupFactory")
                .write(buildDir.resolve("jars/dup-1.jar"));
        dup2Jar = new TestJar(buildDir)
                .source("com.example.two.DupFactory", simpleDirector("com.example.two", "DupFactory", "dup"))
                .service(DirectorFactory.class, "com.example.two.DupFactory")
                .write(buildDir.resolve("jars/dup-2.jar"));

        noFactoriesJar = new TestJar(buildDir)
                .source("com.example.nothing.Util", "package com.example.nothing; public final class Util { }")
                .write(buildDir.resolve("jars/no-factories.jar"));

        failingJar = new TestJar(buildDir)
                .source("com.example.failing.BoomFactory", """
                        package com.example.failing;
                        import dev.proxykit.api.*;
                        public final class BoomFactory implements DirectorFactory {
                            @Override public String name() { return "boom"; }
                            @Override public Director create(PluginContext context) {
                                throw new IllegalStateException("kaboom: cannot reach the license server");
                            }
                        }
                        """)
                .source("com.example.failing.StrictFactory", """
                        package com.example.failing;
                        import dev.proxykit.api.*;
                        public final class StrictFactory implements DirectorFactory {
                            @Override public String name() { return "strict"; }
                            @Override public Director create(PluginContext context) {
                                if (!context.config().hasPath("host") || context.config().getString("host").isEmpty()) {
                                    throw context.invalid("host", "a host name such as backend.example.com");
                                }
                                return request -> { };
                            }
                        }
                        """)
                .source("com.example.failing.GetterFactory", """
                        package com.example.failing;
                        import dev.proxykit.api.*;
                        public final class GetterFactory implements DirectorFactory {
                            @Override public String name() { return "getter"; }
                            @Override public Director create(PluginContext context) {
                                int count = context.config().getInt("count");
                                return request -> { };
                            }
                        }
                        """)
                .source("com.example.failing.NullFactory", """
                        package com.example.failing;
                        import dev.proxykit.api.*;
                        public final class NullFactory implements DirectorFactory {
                            @Override public String name() { return "nothing"; }
                            @Override public Director create(PluginContext context) { return null; }
                        }
                        """)
                .service(DirectorFactory.class, "com.example.failing.BoomFactory")
                .service(DirectorFactory.class, "com.example.failing.StrictFactory")
                .service(DirectorFactory.class, "com.example.failing.GetterFactory")
                .source("com.example.failing.PickyFactory", """
                        package com.example.failing;
                        import dev.proxykit.api.*;
                        public final class PickyFactory implements DirectorFactory {
                            @Override public String name() { return "picky"; }
                            @Override public Director create(PluginContext context) {
                                if (!context.config().hasPath("mode")) {
                                    throw context.invalid("mode", "fast or slow");
                                }
                                return request -> { };
                            }
                        }
                        """)
                .resource("reference.conf", "proxykit.plugins.picky {\n  mode = null\n}\n")
                .service(DirectorFactory.class, "com.example.failing.NullFactory")
                .service(DirectorFactory.class, "com.example.failing.PickyFactory")
                .write(buildDir.resolve("jars/failing.jar"));

        kindsJar = new TestJar(buildDir)
                .source("com.example.kinds.FirstFactory", """
                        package com.example.kinds;
                        import dev.proxykit.api.*;
                        public final class FirstFactory implements UpstreamSelectorFactory {
                            @Override public String name() { return "first"; }
                            @Override public String description() { return "always the first upstream"; }
                            @Override public UpstreamSelector create(PluginContext context) {
                                return live -> request -> live.isEmpty() ? null : live.get(0);
                            }
                        }
                        """)
                .source("com.example.kinds.PlainFactory", """
                        package com.example.kinds;
                        import dev.proxykit.api.*;
                        public final class PlainFactory implements ErrorClassifierFactory {
                            @Override public String name() { return "plain"; }
                            @Override public ErrorClassifier create(PluginContext context) {
                                return ErrorClassifier.standard();
                            }
                        }
                        """)
                .source("com.example.kinds.QuietFactory", """
                        package com.example.kinds;
                        import dev.proxykit.api.*;
                        public final class QuietFactory implements AccessLoggerFactory {
                            @Override public String name() { return "quiet"; }
                            @Override public AccessLogger create(PluginContext context) {
                                String route = context.route();
                                return new AccessLogger() {
                                    @Override public void log(AccessRecord record) { }
                                    @Override public String toString() { return "quiet for " + route; }
                                };
                            }
                        }
                        """)
                .service(UpstreamSelectorFactory.class, "com.example.kinds.FirstFactory")
                .service(ErrorClassifierFactory.class, "com.example.kinds.PlainFactory")
                .service(AccessLoggerFactory.class, "com.example.kinds.QuietFactory")
                .write(buildDir.resolve("jars/kinds.jar"));

        badNameJar = new TestJar(buildDir)
                .source("com.example.bad.BadFactory", simpleDirector("com.example.bad", "BadFactory", "Bad_Name"))
                .service(DirectorFactory.class, "com.example.bad.BadFactory")
                .write(buildDir.resolve("jars/bad-name.jar"));

        contextJar = new TestJar(buildDir)
                .source("com.example.context.Seen", """
                        package com.example.context;
                        public final class Seen {
                            public static String inCreate() {
                                return "tccl-in-create="
                                        + (Thread.currentThread().getContextClassLoader() == Seen.class.getClassLoader());
                            }
                        }
                        """)
                .source("com.example.context.SelectorFactory", """
                        package com.example.context;
                        import dev.proxykit.api.*;
                        import java.util.List;
                        public final class SelectorFactory implements UpstreamSelectorFactory {
                            @Override public String name() { return "ctx-selector"; }
                            @Override public UpstreamSelector create(PluginContext context) {
                                String seen = Seen.inCreate();
                                return new UpstreamSelector() {
                                    @Override public Picker picker(List<Upstream> live) { return request -> null; }
                                    @Override public String toString() { return seen; }
                                };
                            }
                        }
                        """)
                .source("com.example.context.ClassifierFactory", """
                        package com.example.context;
                        import dev.proxykit.api.*;
                        public final class ClassifierFactory implements ErrorClassifierFactory {
                            @Override public String name() { return "ctx-classifier"; }
                            @Override public ErrorClassifier create(PluginContext context) {
                                String seen = Seen.inCreate();
                                return new ErrorClassifier() {
                                    @Override public Classification classify(ProxyError error) {
                                        return ErrorClassifier.standard().classify(error);
                                    }
                                    @Override public String toString() { return seen; }
                                };
                            }
                        }
                        """)
                .source("com.example.context.LoggerFactory", """
                        package com.example.context;
                        import dev.proxykit.api.*;
                        public final class LoggerFactory implements AccessLoggerFactory {
                            @Override public String name() { return "ctx-logger"; }
                            @Override public AccessLogger create(PluginContext context) {
                                String seen = Seen.inCreate();
                                return new AccessLogger() {
                                    @Override public void log(AccessRecord record) { }
                                    @Override public String toString() { return seen; }
                                };
                            }
                        }
                        """)
                .service(UpstreamSelectorFactory.class, "com.example.context.SelectorFactory")
                .service(ErrorClassifierFactory.class, "com.example.context.ClassifierFactory")
                .service(AccessLoggerFactory.class, "com.example.context.LoggerFactory")
                .write(buildDir.resolve("jars/context.jar"));

        brokenConstructorJar = new TestJar(buildDir)
                .source("com.example.broken.BrokenFactory", """
                        package com.example.broken;
                        import dev.proxykit.api.*;
                        public final class BrokenFactory implements DirectorFactory {
                            public BrokenFactory() { throw new IllegalStateException("no licence file"); }
                            @Override public String name() { return "broken"; }
                            @Override public Director create(PluginContext context) { return request -> { }; }
                        }
                        """)
                .service(DirectorFactory.class, "com.example.broken.BrokenFactory")
                .write(buildDir.resolve("jars/broken.jar"));
    }

    private static String greeting(String text) {
        return "package com.example.lib; public final class Greeting { public String text() { return \"" + text
                + "\"; } }";
    }

    private static String greeter(String pkg, String name) {
        return "package " + pkg + ";\n"
                + "import dev.proxykit.api.*;\n"
                + "public final class GreeterFactory implements DirectorFactory {\n"
                + "    @Override public String name() { return \"" + name + "\"; }\n"
                + "    @Override public String description() { return new com.example.lib.Greeting().text(); }\n"
                + "    @Override public Director create(PluginContext context) { return request -> { }; }\n"
                + "}\n";
    }

    private static String simpleDirector(String pkg, String className, String name) {
        return "package " + pkg + ";\n"
                + "import dev.proxykit.api.*;\n"
                + "public final class " + className + " implements DirectorFactory {\n"
                + "    @Override public String name() { return \"" + name + "\"; }\n"
                + "    @Override public Director create(PluginContext context) { return request -> { }; }\n"
                + "}\n";
    }

    /** The test class path without its plugins: discovery then sees only what a test puts in plugins-dir. */
    private static ClassLoader host() {
        return new ClassLoader("host-without-plugins", PluginRegistryTest.class.getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return name.startsWith("META-INF/services/dev.proxykit.api.") ? Collections.emptyEnumeration()
                        : super.getResources(name);
            }
        };
    }

    private Path install(Path jar) throws IOException {
        return Files.copy(jar, pluginsDir.resolve(jar.getFileName()));
    }

    private Path installInFolder(String folder, Path jar) throws IOException {
        Path target = pluginsDir.resolve(folder).resolve(jar.getFileName());
        Files.createDirectories(target.getParent());
        return Files.copy(jar, target);
    }

    private PluginRegistry discover() throws PluginException {
        return PluginRegistry.discover(pluginsDir, host());
    }

    /** The first route of a configuration whose route block holds {@code routeBody} from line 4 on. */
    private static RouteSettings route(String routeBody) throws ConfigProblems {
        String hocon = "proxykit {\n"
                + "  routes = [{\n"
                + "    upstreams = [\"http://127.0.0.1:9292\", \"http://127.0.0.1:9293\"]\n"
                + routeBody + "\n"
                + "  }]\n"
                + "}\n";
        return ConfigLoader.parse(hocon, "test.conf", null).routes().get(0);
    }

    /** Builds the last director of the route whose block holds {@code routeBody}. */
    private static Director director(PluginRegistry registry, String routeBody) throws ConfigProblems {
        RouteSettings route = route(routeBody);
        return registry.createDirector(route.directors().get(route.directors().size() - 1), route.name(),
                route.upstreams());
    }

    /** The exception building the last director of the route whose block holds {@code routeBody} throws. */
    private static ConfigException directorFails(PluginRegistry registry, String routeBody) throws ConfigProblems {
        RouteSettings route = route(routeBody);
        return assertThrows(ConfigException.class, () -> registry.createDirector(
                route.directors().get(route.directors().size() - 1), route.name(), route.upstreams()));
    }

    private static PluginInfo info(PluginRegistry registry, String name) {
        return registry.plugins().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void discoversASingleJarPluginAndAFolderPlugin() throws Exception {
        Path single = install(probeJar);
        installInFolder("greeter-a", greeterAJar);
        installInFolder("greeter-a/lib", greetingV1Jar);

        PluginRegistry registry = discover();

        PluginInfo probe = info(registry, "probe");
        assertEquals(PluginKind.DIRECTOR, probe.kind());
        assertEquals(single.toString(), probe.source());
        PluginInfo greeter = info(registry, "greeter-a");
        assertEquals(pluginsDir.resolve("greeter-a").toString(), greeter.source());
        assertEquals("greeting version 1", greeter.description(), "the folder plugin loads its library one level down");
        assertEquals(List.of("greeter-a", "probe"), registry.plugins().stream().map(PluginInfo::name).toList());
    }

    @Test
    void factoryIsInstantiatedAndCreatesWithThePluginLoaderAsContextClassLoader() throws Exception {
        install(probeJar);
        PluginRegistry registry = discover();
        ClassLoader before = Thread.currentThread().getContextClassLoader();

        Director director = registry.createDirector(route("    directors = [probe]").directors().get(0), "api",
                List.of(Upstream.parse("http://127.0.0.1:9292")));

        assertEquals("tccl-in-constructor=true", info(registry, "probe").description());
        assertTrue(director.toString().startsWith("tccl-in-create=true,"), director.toString());
        assertTrue(director.toString().contains(",name=probe,route=api,upstreams=[http://127.0.0.1:9292]"),
                director.toString());
        assertSame(before, Thread.currentThread().getContextClassLoader(), "the caller's context loader is restored");
        assertInstanceOf(PluginClassLoader.class, director.getClass().getClassLoader());
    }

    @Test
    void everyKindIsCreatedWithThePluginLoaderAsContextClassLoader() throws Exception {
        install(contextJar);
        PluginRegistry registry = discover();
        RouteSettings route = route("    selector = ctx-selector\n    error-classifier = ctx-classifier\n"
                + "    access-log = ctx-logger");
        ClassLoader before = Thread.currentThread().getContextClassLoader();

        UpstreamSelector selector = registry.createSelector(route.selector(), route.name(), route.upstreams());
        ErrorClassifier classifier = registry.createErrorClassifier(route.errorClassifier(), route.name());
        AccessLogger logger = registry.createAccessLogger(route.accessLog(), null);

        assertEquals("tccl-in-create=true", selector.toString());
        assertEquals("tccl-in-create=true", classifier.toString());
        assertEquals("tccl-in-create=true", logger.toString());
        assertSame(before, Thread.currentThread().getContextClassLoader(), "the caller's context loader is restored");
    }

    @Test
    void pluginSeesOnlyTheSharedPackagesOfTheHost() throws Exception {
        Path jar = install(probeJar);
        PluginRegistry registry = discover();
        ClassLoader loader = director(registry, "    directors = [probe]").getClass().getClassLoader();

        assertThrows(ClassNotFoundException.class, () -> loader.loadClass("io.netty.channel.Channel"));
        assertThrows(ClassNotFoundException.class, () -> loader.loadClass("com.google.inject.Injector"));
        assertThrows(ClassNotFoundException.class, () -> loader.loadClass(PluginRegistry.class.getName()));
        assertNull(loader.getResource("io/netty/channel/Channel.class"));
        assertSame(org.slf4j.Logger.class, loader.loadClass("org.slf4j.Logger"));
        assertSame(Config.class, loader.loadClass("com.typesafe.config.Config"));
        assertSame(DirectorFactory.class, loader.loadClass("dev.proxykit.api.DirectorFactory"));
        assertSame(String.class, loader.loadClass("java.lang.String"));
        assertSame(ClassLoader.getPlatformClassLoader(), loader.getParent(), "the parent is the platform loader");
        assertThrows(ClassNotFoundException.class, () -> loader.loadClass("ch.qos.logback.classic.Logger"),
                "the host's logging backend (in lib/ of the distribution) is invisible");
        List<URL> services = Collections.list(loader.getResources("META-INF/services/" + DirectorFactory.class.getName()));
        assertEquals(1, services.size(), services.toString());
        assertTrue(services.get(0).toString().contains(jar.getFileName().toString()), services.toString());
    }

    @Test
    void twoPluginsBundlingDifferentVersionsOfOneClassEachSeeTheirOwn() throws Exception {
        installInFolder("greeter-a", greeterAJar);
        installInFolder("greeter-a", greetingV1Jar);
        install(greeterBJar);

        PluginRegistry registry = discover();

        assertEquals("greeting version 1", info(registry, "greeter-a").description());
        assertEquals("greeting version 2", info(registry, "greeter-b").description());
        ClassLoader a = director(registry, "    directors = [greeter-a]").getClass().getClassLoader();
        ClassLoader b = director(registry, "    directors = [greeter-b]").getClass().getClassLoader();
        assertNotSame(a.loadClass("com.example.lib.Greeting"), b.loadClass("com.example.lib.Greeting"));
        assertThrows(ClassNotFoundException.class, () -> a.loadClass("com.example.greeter.b.GreeterFactory"),
                "one plugin cannot see another's classes");
    }

    @Test
    void pluginBundlingItsOwnCopyOfTheApiGetsTheHostsInterfaces() throws Exception {
        install(apiCopyJar);

        PluginRegistry registry = discover();
        Director director = director(registry, "    directors = [api-copy]");

        ClassLoader loader = director.getClass().getClassLoader();
        assertInstanceOf(PluginClassLoader.class, loader);
        assertNotNull(((URLClassLoader) loader).findResource("dev/proxykit/api/DirectorFactory.class"),
                "the JAR really bundles a copy");
        assertSame(DirectorFactory.class, loader.loadClass("dev.proxykit.api.DirectorFactory"));
        assertSame(Director.class, loader.loadClass("dev.proxykit.api.Director"));
    }

    @Test
    void nameProvidedTwiceIsAProblemNamingBothJars() throws Exception {
        Path one = install(dup1Jar);
        Path two = install(dup2Jar);

        PluginException e = assertThrows(PluginException.class, this::discover);

        assertEquals(1, e.problems().size(), e.getMessage());
        String problem = e.problems().get(0);
        assertTrue(problem.startsWith("plugin name \"dup\" is provided twice for kind director: by "
                + "com.example.one.DupFactory in " + one + " and by com.example.two.DupFactory in " + two), problem);
        assertTrue(problem.contains("remove all but one"), problem);
    }

    @Test
    void anAccessLoggerNamedOffIsRefusedAndADescriptionIsShownOnOneLine() throws Exception {
        Path jar = install(new TestJar(buildDir)
                .source("com.example.off.OffFactory", """
                        package com.example.off;
                        import dev.proxykit.api.*;
                        public final class OffFactory implements AccessLoggerFactory {
                            @Override public String name() { return "off"; }
                            @Override public AccessLogger create(PluginContext context) {
                                return new AccessLogger() {
                                    @Override public void log(AccessRecord record) { }
                                };
                            }
                        }
                        """)
                .source("com.example.off.TallFactory", """
                        package com.example.off;
                        import dev.proxykit.api.*;
                        public final class TallFactory implements DirectorFactory {
                            @Override public String name() { return "tall"; }
                            @Override public String description() { return "  first line\\n\\tsecond  line\\n"; }
                            @Override public Director create(PluginContext context) { return request -> { }; }
                        }
                        """)
                .service(AccessLoggerFactory.class, "com.example.off.OffFactory")
                .service(DirectorFactory.class, "com.example.off.TallFactory")
                .write(buildDir.resolve("jars/off.jar")));

        PluginException e = assertThrows(PluginException.class, this::discover);
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).contains("is named \"off\", which access-log = off reserves"), e.getMessage());

        List<String> problems = new ArrayList<>();
        List<PluginInfo> listed = PluginRegistry.listAll(pluginsDir, host(), problems);
        assertEquals(e.problems(), problems, "--list-plugins reports the same problems");
        PluginInfo tall = listed.stream().filter(p -> p.name().equals("tall")).findFirst().orElseThrow();
        assertEquals("first line second line", tall.description());
        assertTrue(listed.stream().noneMatch(p -> p.name().equals("off")), jar.toString());
    }

    /**
     * --list-plugins keeps the names and descriptions, and lets go of the JARs: their class loaders are closed, and
     * their reference.conf files were not read through the JDK's cache of opened JARs, which never closes them.
     */
    @Test
    void listingAllLeavesNoPluginJarOpen() throws Exception {
        assumeTrue(Files.isDirectory(OPEN_FILES), "reads the files this process holds open, as Linux shows them");
        Path jar = install(dup1Jar);
        Path withDefaults = install(probeJar); // its reference.conf is read too
        Path folder = installInFolder("greeter-a", greeterAJar);
        Path library = installInFolder("greeter-a", greetingV1Jar);

        List<PluginInfo> listed = PluginRegistry.listAll(pluginsDir, host(), new ArrayList<>());

        assertEquals(List.of("dup", "greeter-a", "probe"), listed.stream().map(PluginInfo::name).toList());
        assertEquals(List.of(), heldOpen(jar, withDefaults, folder, library));
    }

    /** Those of {@code files} that this process holds open. */
    private static List<Path> heldOpen(Path... files) throws IOException {
        List<Path> open = new ArrayList<>();
        try (Stream<Path> descriptors = Files.list(OPEN_FILES)) {
            for (Path fd : descriptors.toList()) {
                try {
                    open.add(Files.readSymbolicLink(fd));
                } catch (IOException e) {
                    // closed since it was listed (the listing's own descriptor, say)
                }
            }
        }
        List<Path> held = new ArrayList<>();
        for (Path file : files) {
            if (open.contains(file.toRealPath())) {
                held.add(file);
            }
        }
        return held;
    }

    @Test
    void jarWithoutFactoriesIsAProblemSayingWhatItNeeds() throws Exception {
        Path jar = install(noFactoriesJar);

        PluginException e = assertThrows(PluginException.class, this::discover);

        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith(jar + ": no plugin factories in JAR " + jar), e.getMessage());
        assertTrue(e.problems().get(0).contains("META-INF/services/dev.proxykit.api.<Kind>Factory"), e.getMessage());
    }

    @Test
    void corruptJarIsAProblem() throws Exception {
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        Path jar = Files.write(pluginsDir.resolve("corrupt.jar"), garbage);

        PluginException e = assertThrows(PluginException.class, this::discover);

        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith(jar + ": cannot read the plugin JAR: "), e.getMessage());
        assertTrue(e.problems().get(0).contains("expected: a valid JAR file"), e.getMessage());
    }

    @Test
    void servicesFileNamingAMissingClassIsAProblem() throws Exception {
        Path jar = new TestJar(buildDir)
                .service(DirectorFactory.class, "com.example.gone.GoneFactory")
                .write(pluginsDir.resolve("gone.jar"));

        PluginException e = assertThrows(PluginException.class, this::discover);

        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith(jar + ": META-INF/services/dev.proxykit.api.DirectorFactory: "),
                e.getMessage());
        assertTrue(e.problems().get(0).contains("com.example.gone.GoneFactory"), e.getMessage());
    }

    @Test
    void everyDiscoveryProblemIsReportedAtOnce() throws Exception {
        install(noFactoriesJar);
        install(badNameJar);
        Path broken = install(brokenConstructorJar);
        Files.write(pluginsDir.resolve("corrupt.jar"), new byte[] {1, 2, 3});
        Files.createDirectories(pluginsDir.resolve("empty-folder"));
        Files.writeString(pluginsDir.resolve("README.txt"), "not a plugin");

        ClassLoader before = Thread.currentThread().getContextClassLoader();
        PluginException e = assertThrows(PluginException.class, this::discover);

        assertSame(before, Thread.currentThread().getContextClassLoader(), "restored after a constructor threw");
        assertEquals(5, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("is named \"Bad_Name\" (expected: lower-case letters"), e.getMessage());
        assertTrue(e.getMessage().contains(broken + ": cannot create the director factory "
                + "com.example.broken.BrokenFactory in " + broken + ": java.lang.IllegalStateException: no licence file"),
                e.getMessage());
        assertTrue(e.getMessage().contains("empty-folder: plugin folder without JAR files"), e.getMessage());
    }

    @Test
    void unknownNameIsAConfigExceptionWithLocationAndSuggestion() throws Exception {
        install(probeJar);
        install(failingJar);
        PluginRegistry registry = discover();
        ConfigException e = directorFails(registry, "    directors = [\n      prob\n    ]");

        assertEquals("test.conf:5: proxykit.routes[0].directors[0]: no director plugin named \"prob\" (available: boom,"
                + " getter, nothing, picky, probe, strict; did you mean \"probe\"?)", e.getMessage());
        assertEquals(5, e.origin().lineNumber());
    }

    @Test
    void unknownNameThatAnotherKindProvidesSaysWhichKindItIs() throws Exception {
        install(probeJar);
        install(kindsJar);
        PluginRegistry registry = discover();

        ConfigException e = directorFails(registry, "    directors = [first]");

        assertEquals("test.conf:4: proxykit.routes[0].directors[0]: no director plugin named \"first\" (available: probe;"
                + " \"first\" is a selector plugin, not a director)", e.getMessage());
    }

    @Test
    void unknownNameWithNothingCloseSaysWhereToPutThePlugin() throws Exception {
        install(probeJar);
        PluginRegistry registry = discover();

        ConfigException e = directorFails(registry, "    directors = [add-header]");

        assertEquals("test.conf:4: proxykit.routes[0].directors[0]: no director plugin named \"add-header\" (available:"
                + " probe; put a plugin that provides it in " + pluginsDir + ")", e.getMessage());
    }

    @Test
    void unknownNameOfAKindWithNoPluginsSaysNoneAreAvailable() throws Exception {
        PluginRegistry registry = discover();
        RouteSettings route = route("    selector = round-robin");

        ConfigException e = assertThrows(ConfigException.class,
                () -> registry.createSelector(route.selector(), route.name(), route.upstreams()));

        assertEquals("test.conf:4: proxykit.routes[0].selector: no selector plugin named \"round-robin\" (available:"
                + " none; put a plugin that provides it in " + pluginsDir + ")", e.getMessage());
    }

    @Test
    void requireProvidedLooksTheNameUpWithoutBuildingAndThrowsWhatCreateThrows() throws Exception {
        install(probeJar);
        install(failingJar);
        PluginRegistry registry = discover();
        RouteSettings route = route("    directors = [boom, prob]\n    access-log = off");

        registry.requireProvided(PluginKind.DIRECTOR, route.directors().get(0)); // boom's create would throw
        registry.requireProvided(PluginKind.ACCESS_LOGGER, route.accessLog());
        ConfigException e = assertThrows(ConfigException.class,
                () -> registry.requireProvided(PluginKind.DIRECTOR, route.directors().get(1)));

        assertEquals(directorFails(registry, "    directors = [boom, prob]\n    access-log = off").getMessage(),
                e.getMessage());
        assertEquals("test.conf:4: proxykit.routes[0].directors[1]: no director plugin named \"prob\" (available: boom,"
                + " getter, nothing, picky, probe, strict; did you mean \"probe\"?)", e.getMessage());
    }

    @Test
    void pluginReferenceConfDefaultsReachTheContextUnderTheSpecSettings() throws Exception {
        install(probeJar);
        PluginRegistry registry = discover();

        Director defaults = director(registry, "    directors = [probe]");
        Director overridden = director(registry, "    directors = [{ type = probe, greeting = \"hi\" }]");

        assertTrue(defaults.toString().contains(",greeting=hello from the plugin's reference.conf,level=1,"),
                defaults.toString());
        assertTrue(overridden.toString().contains(",greeting=hi,level=1,"), overridden.toString());
    }

    @Test
    void factoryThrowingIsAConfigExceptionNamingPluginJarKeyAndCause() throws Exception {
        Path jar = install(failingJar);
        PluginRegistry registry = discover();
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        ConfigException e = directorFails(registry, "    directors = [single-host,\n      boom]");

        assertSame(before, Thread.currentThread().getContextClassLoader(), "restored after create threw");

        assertTrue(e.getMessage().startsWith("test.conf:5: proxykit.routes[0].directors[1]: the director plugin \"boom\""
                + " (com.example.failing.BoomFactory in " + jar + ") failed: java.lang.IllegalStateException: kaboom:"
                + " cannot reach the license server"), e.getMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void invalidFromThePluginPointsAtTheValueWithItsFullKey() throws Exception {
        install(failingJar);
        PluginRegistry registry = discover();
        ConfigException e = directorFails(registry,
                "    directors = [{\n      type = strict\n      host = \"\"\n    }]");

        assertInstanceOf(ConfigException.BadValue.class, e);
        assertEquals("test.conf:6: proxykit.routes[0].directors[0].host: \"\" (expected: a host name such as"
                + " backend.example.com)", e.getMessage());
        assertEquals(6, e.origin().lineNumber());
    }

    @Test
    void invalidForAMissingSettingPointsAtTheSpec() throws Exception {
        install(failingJar);
        PluginRegistry registry = discover();
        ConfigException e = directorFails(registry, "    directors = [\n      strict\n    ]");

        assertEquals("test.conf:5: proxykit.routes[0].directors[0].host: missing (expected: a host name such as"
                + " backend.example.com)", e.getMessage());
    }

    @Test
    void invalidForASettingLeftAtThePluginsDefaultPointsAtTheSpecNotAtThePluginsJar() throws Exception {
        install(failingJar);
        PluginRegistry registry = discover();
        ConfigException e = directorFails(registry, "    directors = [\n      picky\n    ]");

        assertEquals("test.conf:5: proxykit.routes[0].directors[0].mode: null (expected: fast or slow)",
                e.getMessage());
    }

    @Test
    void configExceptionFromAGetterGetsTheFullKeyAndLocation() throws Exception {
        install(failingJar);
        PluginRegistry registry = discover();
        ConfigException e1 = directorFails(registry, "    directors = [{ type = getter,\n      count = lots }]");
        ConfigException e2 = directorFails(registry, "    directors = [\n      getter ]");

        assertTrue(e1.getMessage().startsWith("test.conf:5: proxykit.routes[0].directors[0].count: "), e1.getMessage());
        assertTrue(e1.getMessage().contains("(in the settings of the director plugin \"getter\""), e1.getMessage());
        assertTrue(e2.getMessage().startsWith("test.conf:5: proxykit.routes[0].directors[0].count: No configuration"
                + " setting found for key 'count'"), e2.getMessage());
    }

    @Test
    void nullFromCreateIsAnError() throws Exception {
        install(failingJar);
        PluginRegistry registry = discover();

        ConfigException e = directorFails(registry, "    directors = [nothing]");

        assertTrue(e.getMessage().startsWith("test.conf:4: proxykit.routes[0].directors[0]: the director plugin"
                + " \"nothing\""), e.getMessage());
        assertTrue(e.getMessage().contains("returned null from create"), e.getMessage());
    }

    @Test
    void createsEveryKind() throws Exception {
        install(kindsJar);
        PluginRegistry registry = discover();
        RouteSettings route = route("    selector = first\n    error-classifier = plain\n    access-log = quiet");

        UpstreamSelector selector = registry.createSelector(route.selector(), route.name(), route.upstreams());
        ErrorClassifier classifier = registry.createErrorClassifier(route.errorClassifier(), route.name());
        AccessLogger logger = registry.createAccessLogger(route.accessLog(), null);

        assertEquals(route.upstreams().get(0), selector.picker(route.upstreams()).pick(null));
        assertSame(ErrorClassifier.standard(), classifier);
        assertEquals("quiet for null", logger.toString());
        assertEquals(List.of(PluginKind.SELECTOR, PluginKind.ERROR_CLASSIFIER, PluginKind.ACCESS_LOGGER),
                registry.plugins().stream().map(PluginInfo::kind).toList());
        assertEquals("always the first upstream", info(registry, "first").description());
    }

    @Test
    void accessLogOffIsALoggerThatIsNeverEnabledAndTakesNoSettings() throws Exception {
        install(kindsJar);
        PluginRegistry registry = discover();

        AccessLogger off = registry.createAccessLogger(route("    access-log = off").accessLog(), "r");
        assertFalse(off.isEnabled(), "the engine builds no record for it");
        assertSame(off, registry.createAccessLogger(route("    access-log = { type = off }").accessLog(), null));

        PluginConfigException e = assertThrows(PluginConfigException.class, () -> registry.createAccessLogger(
                route("    access-log = { type = off, format = json }").accessLog(), null));
        assertTrue(e.getMessage().startsWith("test.conf:4: proxykit.routes[0].access-log.format: unknown key"
                + " (access-log = off takes no settings)"), e.getMessage());
        PluginConfigException unknown = assertThrows(PluginConfigException.class,
                () -> registry.createAccessLogger(route("    access-log = nothing").accessLog(), null));
        assertTrue(unknown.getMessage().contains("(available: quiet, off"), unknown.getMessage());
    }

    @Test
    void pluginsListsVersionAndSource() throws Exception {
        Path probe = install(probeJar);
        installInFolder("greeter-a", greeterAJar);
        installInFolder("greeter-a", greetingV1Jar);
        Path noVersion = install(greeterBJar);

        List<PluginInfo> plugins = discover().plugins();

        assertEquals(List.of(
                new PluginInfo("greeter-a", PluginKind.DIRECTOR, "2.0.0", pluginsDir.resolve("greeter-a").toString(),
                        "greeting version 1"),
                new PluginInfo("greeter-b", PluginKind.DIRECTOR, "unknown", noVersion.toString(), "greeting version 2"),
                new PluginInfo("probe", PluginKind.DIRECTOR, "1.2.3", probe.toString(), "tccl-in-constructor=true")),
                plugins);
    }

    @Test
    void classPathPluginsAreFoundWithTheHostLoader() throws Exception {
        try (URLClassLoader classPath = new URLClassLoader(new URL[] {probeJar.toUri().toURL()}, host())) {
            PluginRegistry registry = PluginRegistry.discover(null, classPath);

            PluginInfo probe = info(registry, "probe");
            assertEquals("class path", probe.source());
            assertEquals("1.2.3", probe.version());
            Director director = director(registry, "    directors = [probe]");
            assertTrue(director.toString().contains("greeting=hello from the plugin's reference.conf"),
                    director.toString());
        }
    }

    @Test
    void missingPluginsFolderMeansClassPathOnly() throws Exception {
        PluginRegistry registry = PluginRegistry.discover(pluginsDir.resolve("does-not-exist"), host());

        assertTrue(registry.plugins().isEmpty());
    }

    @Test
    void pluginAlsoOnTheClassPathIsProvidedTwice() throws Exception {
        Path jar = install(probeJar);
        try (URLClassLoader classPath = new URLClassLoader(new URL[] {probeJar.toUri().toURL()}, host())) {
            PluginException e = assertThrows(PluginException.class, () -> PluginRegistry.discover(pluginsDir, classPath));

            assertTrue(e.getMessage().contains("com.example.probe.ProbeFactory in " + probeJar + " and by "
                    + "com.example.probe.ProbeFactory in " + jar), e.getMessage());
        }
    }
}
