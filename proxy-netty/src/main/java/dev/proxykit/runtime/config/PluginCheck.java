package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigOrigin;

/**
 * Looks at the plugins of a configuration that has problems of its own, so that one run reports both: what is wrong
 * with the settings and what is wrong with the plugins they name (a name no plugin provides, settings a plugin's
 * factory refuses). Without it a user would see the plugins' problems only after fixing the others. The runtime
 * implements it ({@code ProxyServer.pluginCheck}); this package knows no plugins.
 */
@FunctionalInterface
public interface PluginCheck {

    /**
     * Reports the problems of the plugins {@code use} names. Blocking (reads plugin JARs, runs factories): called by
     * {@link ConfigLoader} on the loading thread, never on an event loop.
     *
     * @param use    what could be read of the configuration's plugins
     * @param report receives each problem
     */
    void check(PluginUse use, Report report);

    /** Receives the problems a {@link PluginCheck} finds. */
    @FunctionalInterface
    interface Report {

        /**
         * One problem.
         *
         * @param origin where the value it is about is written, for the order of the problems; {@code null} for a
         *               problem with no place in the configuration, such as a plugin JAR that cannot be read
         * @param line   the whole line, starting with the location and the key when {@code origin} is given
         */
        void problem(ConfigOrigin origin, String line);
    }
}
