package dev.proxykit.api;

/**
 * What every plugin factory has: the unique name configuration refers to it by.
 *
 * <p>Factories are found with {@link java.util.ServiceLoader} in each plugin's class loader (listed in
 * {@code META-INF/services/<factory interface>}) and instantiated once at start-up, with the thread context class
 * loader set to the plugin's loader. They need a public no-argument constructor and should do nothing in it.
 *
 * <p>The four kinds are {@link DirectorFactory}, {@link UpstreamSelectorFactory}, {@link ErrorClassifierFactory}
 * and {@link AccessLoggerFactory}. Names are unique per kind across all plugins: two plugins providing the same
 * name stop start-up with an error naming both JARs.
 */
public interface PluginFactory {

    /**
     * The name configuration uses, such as {@code round-robin}: lower-case letters, digits and {@code -}, starting
     * with a letter. Must return the same value every time.
     */
    String name();

    /** One line describing the plugin, shown by {@code --list-plugins}. */
    default String description() {
        return "";
    }
}
