package dev.proxykit.runtime.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.proxykit.api.PluginFactory;
import dev.proxykit.runtime.config.ConfigMessages;
import java.io.IOException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds plugin factories: on the host's class path, and in the plugins folder, where each sub-folder (all its JARs,
 * and those one folder further down) and each JAR is one plugin with its own {@link PluginClassLoader}. Collects
 * every problem instead of stopping at the first. Reads files and runs plugin constructors: start-up only, one
 * thread; one instance discovers once.
 */
final class PluginLoader {

    static final String CLASS_PATH = "class path";

    private static final Logger log = LoggerFactory.getLogger(PluginLoader.class);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");
    private static final String REFERENCE = "reference.conf";
    private static final String DEFAULTS_ROOT = "proxykit.plugins";
    /** More providers than this in one loader and kind means something is wrong; stops a runaway iteration. */
    private static final int MAX_PROVIDERS = 10_000;
    /** Opens a URL as the JDK does, but without its cache: the cache keeps a JAR it opened open for good. */
    private static final URLStreamHandler UNCACHED = new URLStreamHandler() {
        @Override
        protected URLConnection openConnection(URL url) throws IOException {
            URLConnection connection = new URL(url.toExternalForm()).openConnection();
            connection.setUseCaches(false);
            return connection;
        }
    };

    private final ClassLoader hostLoader;
    private final List<String> problems = new ArrayList<>();
    private final List<PluginEntry> entries = new ArrayList<>();
    private final List<PluginClassLoader> loaders = new ArrayList<>();

    PluginLoader(ClassLoader hostLoader) {
        this.hostLoader = hostLoader;
    }

    /**
     * Discovers everything.
     *
     * @return the factories found, in discovery order
     * @throws PluginException listing every problem; the plugin class loaders are closed then
     */
    List<PluginEntry> discover(Path pluginsDir) throws PluginException {
        List<PluginEntry> found = discoverAll(pluginsDir);
        if (!problems.isEmpty()) {
            closeLoaders();
            throw new PluginException(problems);
        }
        return found;
    }

    /** The problems {@link #discoverAll} met; empty after a clean discovery. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * Discovers what can be discovered, keeping the problems (see {@link #problems()}) instead of throwing: for
     * {@code --list-plugins}, which should show what loads beside what does not.
     */
    List<PluginEntry> discoverAll(Path pluginsDir) {
        scan(CLASS_PATH, hostLoader);
        if (pluginsDir == null) {
            log.debug("No plugins folder configured: plugins come from the class path only");
        } else if (!Files.exists(pluginsDir)) {
            log.debug("Plugins folder {} does not exist: plugins come from the class path only", pluginsDir);
        } else if (!Files.isDirectory(pluginsDir)) {
            problems.add(pluginsDir + ": plugins-dir is not a folder (expected: a folder holding one folder or JAR"
                    + " per plugin; fix proxykit.plugins-dir)");
        } else {
            scanFolder(pluginsDir);
        }
        checkDuplicates();
        return List.copyOf(entries);
    }

    private void scanFolder(Path pluginsDir) {
        List<Path> children;
        try (Stream<Path> list = Files.list(pluginsDir)) {
            children = list.sorted().toList();
        } catch (IOException e) {
            problems.add(pluginsDir + ": cannot list the plugins folder: " + e
                    + " (expected: a readable folder; check its permissions)");
            return;
        }
        for (Path child : children) {
            String fileName = child.getFileName().toString();
            if (fileName.startsWith(".")) {
                continue;
            }
            if (Files.isDirectory(child)) {
                List<Path> jars = jars(child);
                if (jars.isEmpty()) {
                    problems.add(child + ": plugin folder without JAR files (expected: the plugin's JAR and the JARs"
                            + " it needs, in the folder or one folder further down; or remove the folder)");
                } else {
                    plugin(child, jars);
                }
            } else if (isJar(child)) {
                plugin(child, List.of(child));
            } else {
                log.debug("Ignoring {} in the plugins folder: neither a folder nor a JAR", child);
            }
        }
    }

    /** The JARs of a plugin folder: in it, and in its sub-folders (one level). */
    private List<Path> jars(Path folder) {
        try (Stream<Path> files = Files.walk(folder, 2)) {
            return files.filter(PluginLoader::isJar).sorted().toList();
        } catch (IOException e) {
            problems.add(folder + ": cannot list the plugin folder: " + e + " (expected: a readable folder)");
            return List.of();
        }
    }

    private static boolean isJar(Path path) {
        return Files.isRegularFile(path) && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar");
    }

    private void plugin(Path source, List<Path> jars) {
        List<URL> urls = new ArrayList<>();
        boolean readable = true;
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile(), false)) {
                file.getManifest(); // reads the central directory and the manifest: a corrupt JAR fails here
                urls.add(jar.toUri().toURL());
            } catch (IOException | SecurityException e) {
                readable = false;
                problems.add(jar + ": cannot read the plugin JAR: " + e.getMessage()
                        + " (expected: a valid JAR file; rebuild or download the plugin again, or remove it)");
            }
        }
        if (!readable) {
            return;
        }
        PluginClassLoader loader = new PluginClassLoader(source.toString(), urls, hostLoader);
        loaders.add(loader);
        int before = problems.size();
        int found = scan(source.toString(), loader);
        if (found == 0 && problems.size() == before) {
            String jar = jars.size() == 1 ? "JAR " + jars.get(0) : "folder " + source + " (JARs: "
                    + jars.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", ")) + ")";
            problems.add(source + ": no plugin factories in " + jar + " (expected: a file"
                    + " META-INF/services/dev.proxykit.api.<Kind>Factory, such as"
                    + " META-INF/services/dev.proxykit.api.DirectorFactory, naming the factory classes; add it to the"
                    + " plugin's JAR, or remove the JAR from plugins-dir)");
        }
    }

    /** Finds the factories of every kind in {@code loader}; returns how many providers were listed. */
    private int scan(String source, ClassLoader loader) {
        Config defaults = null;
        int listed = 0;
        for (PluginKind kind : PluginKind.values()) {
            Iterator<? extends ServiceLoader.Provider<? extends PluginFactory>> providers =
                    ServiceLoader.load(kind.factoryType(), loader).stream().iterator();
            for (int i = 0; i < MAX_PROVIDERS; i++) {
                ServiceLoader.Provider<? extends PluginFactory> provider;
                try {
                    if (!providers.hasNext()) {
                        break;
                    }
                    provider = providers.next();
                } catch (ServiceConfigurationError e) {
                    listed++;
                    problems.add(source + ": META-INF/services/" + kind.factoryType().getName() + ": "
                            + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")")
                            + " (expected: public factory classes that implement " + kind.factoryType().getName()
                            + "; fix the services file or the plugin's JARs)");
                    continue;
                }
                listed++;
                if (defaults == null) {
                    defaults = reference(source, loader);
                }
                PluginEntry entry = instantiate(kind, provider, source, loader, defaults);
                if (entry != null) {
                    entries.add(entry);
                    log.debug("Found {}: {}", entry.describe(), entry.description());
                }
            }
        }
        return listed;
    }

    /**
     * Instantiates one factory with the thread context class loader set to its plugin's loader, and checks its name.
     */
    private PluginEntry instantiate(PluginKind kind, ServiceLoader.Provider<? extends PluginFactory> provider,
                                    String source, ClassLoader loader, Config reference) {
        Class<?> type = provider.type();
        Path where = JarMetadata.location(type);
        String location = where == null ? source : where.toString();
        String what = kind.displayName() + " factory " + type.getName() + " in " + location;
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        PluginFactory factory;
        String name;
        String description;
        try {
            factory = provider.get();
            name = factory.name();
            description = factory.description();
        } catch (ServiceConfigurationError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            problems.add(source + ": cannot create the " + what + ": " + cause
                    + " (expected: a public class with a public no-argument constructor that does not throw; fix the"
                    + " plugin or remove it from plugins-dir)");
            return null;
        } catch (RuntimeException | LinkageError e) {
            problems.add(source + ": the " + what + " failed while giving its name or description: " + e
                    + " (expected: name() and description() that return a value; fix the plugin or remove it)");
            return null;
        } finally {
            thread.setContextClassLoader(previous);
        }
        if (name == null || !NAME.matcher(name).matches()) {
            problems.add(source + ": the " + what + " is named " + (name == null ? "null" : "\"" + name + "\"")
                    + " (expected: lower-case letters, digits and '-', starting with a letter; fix the plugin)");
            return null;
        }
        if (kind == PluginKind.ACCESS_LOGGER && name.equals(PluginRegistry.ACCESS_LOG_OFF)) {
            problems.add(source + ": the " + what + " is named \"" + name + "\", which access-log = off reserves"
                    + " (expected: another name; fix the plugin)");
            return null;
        }
        Config defaults = defaults(reference, name, location);
        if (defaults == null) {
            return null;
        }
        // one line, for --list-plugins and messages
        String oneLine = description == null ? "" : description.strip().replaceAll("\\s+", " ");
        return new PluginEntry(kind, name, oneLine, factory, loader, source, location,
                JarMetadata.version(where), defaults);
    }

    /** The plugin's own reference.conf (all of them in its loader), resolved; empty when it has none or on error. */
    private Config reference(String source, ClassLoader loader) {
        try {
            // allow unresolved: on the class path this reads every library's reference.conf, and only
            // proxykit.plugins.<name> matters; a plugin reading an unresolved value gets a ConfigException then
            return ConfigFactory.parseResourcesAnySyntax(uncached(loader), REFERENCE)
                    .resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true));
        } catch (ConfigException e) {
            problems.add(source + ": the plugin's " + REFERENCE + " is invalid: " + e.getMessage()
                    + " (expected: valid HOCON; fix the plugin)");
            return ConfigFactory.empty();
        }
    }

    /**
     * {@code loader}'s resources, as typesafe-config finds them ({@code getResources}), read without the JDK's cache
     * of opened JARs: through it, a plugin's JAR would stay open after its class loader is closed. Same URLs, so
     * messages name the same places.
     */
    private static ClassLoader uncached(ClassLoader loader) {
        return new ClassLoader(null) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                List<URL> urls = new ArrayList<>();
                for (URL url : Collections.list(loader.getResources(name))) {
                    urls.add(new URL(url, url.toExternalForm(), UNCACHED));
                }
                return Collections.enumeration(urls);
            }
        };
    }

    /** {@code proxykit.plugins.<name>} of the plugin's reference.conf, or {@code null} after a problem. */
    private Config defaults(Config reference, String name, String location) {
        String path = DEFAULTS_ROOT + "." + name;
        if (!reference.hasPath(path)) {
            return ConfigFactory.empty();
        }
        ConfigValue value = reference.getValue(path);
        if (value.valueType() != ConfigValueType.OBJECT) {
            problems.add(ConfigMessages.location(value.origin()) + ": " + path + ": " + ConfigMessages.render(value)
                    + " in the " + REFERENCE + " of " + location
                    + " (expected: a block of the plugin's default settings; fix the plugin)");
            return null;
        }
        return ((ConfigObject) value).toConfig();
    }

    private void checkDuplicates() {
        Map<String, List<PluginEntry>> byName = new LinkedHashMap<>();
        for (PluginEntry entry : entries) {
            byName.computeIfAbsent(entry.kind() + "/" + entry.name(), k -> new ArrayList<>()).add(entry);
        }
        for (List<PluginEntry> same : byName.values()) {
            if (same.size() > 1) {
                PluginEntry first = same.get(0);
                problems.add("plugin name \"" + first.name() + "\" is provided " + (same.size() == 2 ? "twice" : same.size()
                        + " times") + " for kind " + first.kind().displayName() + ": by " + same.stream()
                        .map(e -> e.factory().getClass().getName() + " in " + e.location())
                        .collect(Collectors.joining(" and by "))
                        + " (expected: one plugin per name; remove all but one of them from plugins-dir or the class path)");
            }
        }
    }

    /** Closes the plugins' class loaders (and with them their JARs); nothing loads from them afterwards. */
    void closeLoaders() {
        for (PluginClassLoader loader : loaders) {
            try {
                loader.close();
            } catch (IOException e) {
                log.debug("Cannot close the class loader of {}", loader.source(), e);
            }
        }
    }
}
