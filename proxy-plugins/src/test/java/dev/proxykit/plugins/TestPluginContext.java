package dev.proxykit.plugins;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.Upstream;
import java.util.List;

/**
 * A {@link PluginContext} as the runtime builds one: the instance's HOCON block (origin {@code test.conf}) on top of
 * {@code proxykit.plugins.NAME} from this module's {@code reference.conf}.
 */
final class TestPluginContext implements PluginContext {

    private final String pluginName;
    private final Config config;
    private final List<Upstream> upstreams;

    private TestPluginContext(String pluginName, Config config, List<Upstream> upstreams) {
        this.pluginName = pluginName;
        this.config = config;
        this.upstreams = upstreams;
    }

    /** The context of plugin {@code name} configured with the HOCON block {@code hocon} (without braces). */
    static TestPluginContext of(String name, String hocon, Upstream... upstreams) {
        Config settings = ConfigFactory.parseString(hocon,
                ConfigParseOptions.defaults().setOriginDescription("test.conf"));
        return new TestPluginContext(name, settings.withFallback(defaults(name)).resolve(), List.of(upstreams));
    }

    /** The plugin's block in reference.conf, or an empty config when it has none. */
    static Config defaults(String name) {
        return defaultsBlockExists(name) ? reference().getConfig(path(name)) : ConfigFactory.empty();
    }

    /** Whether reference.conf has a {@code proxykit.plugins.NAME} block (possibly empty). */
    static boolean defaultsBlockExists(String name) {
        return reference().hasPath(path(name));
    }

    private static Config reference() {
        return ConfigFactory.parseResources(TestPluginContext.class.getClassLoader(), "reference.conf");
    }

    private static String path(String name) {
        return ConfigUtil.joinPath("proxykit", "plugins", name);
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
        return "route-0";
    }

    @Override
    public List<Upstream> upstreams() {
        return upstreams;
    }

    @Override
    public ConfigException invalid(String path, String expected) {
        ConfigOrigin origin = config.hasPath(path) ? config.getValue(path).origin() : config.root().origin();
        return new ConfigException.BadValue(origin, path, expected);
    }
}
