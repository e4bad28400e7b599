package dev.proxykit.runtime.plugin;

import com.typesafe.config.Config;
import dev.proxykit.api.PluginFactory;

/**
 * One discovered factory and where it came from. Immutable.
 *
 * @param kind        the factory's kind
 * @param name        its {@link PluginFactory#name()}
 * @param description its {@link PluginFactory#description()}
 * @param factory     the instance, shared by every route
 * @param loader      the class loader of its plugin (the host's for the class path), the thread context class
 *                    loader while it builds instances
 * @param source      the plugin folder or JAR, or {@code "class path"}
 * @param location    the JAR (or class folder) holding the factory class, for messages
 * @param version     the JAR's version, or {@code "unknown"}
 * @param defaults    {@code proxykit.plugins.<name>} from the plugin's own {@code reference.conf}, possibly empty
 */
record PluginEntry(PluginKind kind, String name, String description, PluginFactory factory, ClassLoader loader,
                   String source, String location, String version, Config defaults) {

    /** How messages name the plugin: {@code director plugin "x" (com.example.XFactory in /plugins/x.jar)}. */
    String describe() {
        return kind.displayName() + " plugin \"" + name + "\" (" + factory.getClass().getName() + " in " + location + ")";
    }

    PluginInfo info() {
        return new PluginInfo(name, kind, version, source, description);
    }
}
