package dev.proxykit.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.List;

/**
 * What a factory receives to build one plugin instance. Used only during {@code create(...)}, off the event loops.
 */
public interface PluginContext {

    /** The name the instance was configured with (the factory's {@link PluginFactory#name()}). */
    String pluginName();

    /**
     * The instance's settings: its configuration block without the {@code type} key, on top of the defaults from the
     * plugin's own {@code reference.conf} (read through the plugin's class loader) when it has one. Every value keeps
     * its origin (file and line), so an error can point at it.
     */
    Config config();

    /** The name of the route the instance is built for, or {@code null} for a global instance. */
    String route();

    /** The route's configured upstreams, in order; empty for a global instance. */
    List<Upstream> upstreams();

    /**
     * Builds the exception to throw for a bad setting: it names the key (its full path in the user's file), the
     * file and line, and what was expected. Typical use: {@code throw context.invalid("host", "a host name")}.
     *
     * @param path     the setting's path inside {@link #config()}
     * @param expected what a valid value looks like
     */
    ConfigException invalid(String path, String expected);
}
