package dev.proxykit.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.Upstream;
import java.util.List;

/**
 * The context a route gives a factory, for building plugins in benchmark set-up: the given settings over the
 * plugin's defaults from {@code proxykit.plugins.<name>} in the plugins' {@code reference.conf}, as the runtime
 * merges them.
 */
final class BenchPluginContext implements PluginContext {

    private final String pluginName;
    private final Config config;
    private final List<Upstream> upstreams;

    /**
     * @param settings the instance's settings as HOCON, such as {@code "rotation = per-event-loop"}, or {@code ""}
     */
    BenchPluginContext(String pluginName, String settings, List<Upstream> upstreams) {
        this.pluginName = pluginName;
        Config reference = ConfigFactory.parseResources(BenchPluginContext.class.getClassLoader(), "reference.conf");
        String path = "proxykit.plugins." + pluginName;
        Config defaults = reference.hasPath(path) ? reference.getConfig(path) : ConfigFactory.empty();
        this.config = ConfigFactory.parseString(settings).withFallback(defaults).resolve();
        this.upstreams = List.copyOf(upstreams);
    }

    @Override
    public String pluginName() {
        return pluginName;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public String route() {
        return "bench";
    }

    @Override
    public List<Upstream> upstreams() {
        return upstreams;
    }

    @Override
    public ConfigException invalid(String path, String expected) {
        return new ConfigException.BadValue(path, expected);
    }
}
