package dev.proxykit.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.Upstream;
import java.util.List;

/** The context a route with no plugin settings gives a factory; for building plugins in benchmark set-up. */
final class BenchPluginContext implements PluginContext {

    private final String pluginName;
    private final List<Upstream> upstreams;

    BenchPluginContext(String pluginName, List<Upstream> upstreams) {
        this.pluginName = pluginName;
        this.upstreams = List.copyOf(upstreams);
    }

    @Override
    public String pluginName() {
        return pluginName;
    }

    @Override
    public Config config() {
        return ConfigFactory.empty("benchmark: no settings");
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
