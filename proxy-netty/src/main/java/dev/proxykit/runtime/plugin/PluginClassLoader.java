package dev.proxykit.runtime.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;

/**
 * The class loader of one plugin: its JARs, on top of the platform class loader (the JDK), plus the few packages
 * plugins share with the host. Everything else on the host's class path (Netty, Guice, the engine, other plugins)
 * is invisible, so two plugins may bundle different versions of one library.
 *
 * <p>Classes and resources of the shared packages ({@code dev.proxykit.api}, {@code org.slf4j},
 * {@code com.typesafe.config}) always come from the host, even when the plugin bundles its own copy, so that the
 * plugin's factories implement the host's interfaces. {@code META-INF/services} files come from the plugin's own
 * JARs only, so that discovery in this loader finds this plugin's factories and nothing else.
 *
 * <p>Thread-safe (registered as parallel capable).
 */
final class PluginClassLoader extends URLClassLoader {

    /** Packages whose classes and resources come from the host, as class name prefixes. */
    static final List<String> SHARED_PACKAGES = List.of("dev.proxykit.api.", "org.slf4j.", "com.typesafe.config.");

    private static final List<String> SHARED_RESOURCES = SHARED_PACKAGES.stream()
            .map(p -> p.replace('.', '/'))
            .toList();
    private static final String SERVICES = "META-INF/services/";

    static {
        ClassLoader.registerAsParallelCapable();
    }

    private final ClassLoader hostLoader;
    private final String source;

    /**
     * @param source     the plugin's folder or JAR, for messages and {@link #toString()}
     * @param urls       the plugin's JARs
     * @param hostLoader where the shared packages come from
     */
    PluginClassLoader(String source, List<URL> urls, ClassLoader hostLoader) {
        super("plugin " + source, urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        this.source = Objects.requireNonNull(source, "source");
        this.hostLoader = Objects.requireNonNull(hostLoader, "hostLoader");
    }

    /** The plugin's folder or JAR. */
    String source() {
        return source;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (isShared(name)) {
            // the host's copy, even when the plugin bundles one: its factories must implement the host's interfaces
            return hostLoader.loadClass(name);
        }
        // the JDK (the platform loader, our parent) first, then the plugin's JARs; nothing from the host
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        if (isSharedResource(name)) {
            return hostLoader.getResource(name);
        }
        if (name.startsWith(SERVICES)) {
            return findResource(name);
        }
        return super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (isSharedResource(name)) {
            return hostLoader.getResources(name);
        }
        if (name.startsWith(SERVICES)) {
            return findResources(name);
        }
        return super.getResources(name);
    }

    static boolean isShared(String className) {
        for (String prefix : SHARED_PACKAGES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSharedResource(String name) {
        String path = name.startsWith("/") ? name.substring(1) : name;
        for (String prefix : SHARED_RESOURCES) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "PluginClassLoader[" + source + "]";
    }
}
