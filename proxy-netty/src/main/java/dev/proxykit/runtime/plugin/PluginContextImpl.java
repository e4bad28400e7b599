package dev.proxykit.runtime.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.Upstream;
import dev.proxykit.runtime.config.ConfigMessages;
import dev.proxykit.runtime.config.PluginSpec;
import java.util.List;
import java.util.Objects;

/**
 * What a factory gets to build one instance: the spec's settings over the plugin's defaults, the route and its
 * upstreams, and {@link #invalid(String, String)} to report a bad setting at its file and line. Immutable; used only
 * during {@code create}.
 */
final class PluginContextImpl implements PluginContext {

    private final PluginSpec spec;
    private final Config config;
    private final String route;
    private final List<Upstream> upstreams;

    /**
     * @param spec      the plugin as configured
     * @param defaults  {@code proxykit.plugins.<name>} from the plugin's own reference.conf, possibly empty
     * @param route     the route's name, or {@code null} for a global instance
     * @param upstreams the route's upstreams; empty for a global instance
     */
    PluginContextImpl(PluginSpec spec, Config defaults, String route, List<Upstream> upstreams) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.config = spec.settings().withFallback(defaults);
        this.route = route;
        this.upstreams = List.copyOf(upstreams);
    }

    @Override
    public String pluginName() {
        return spec.type();
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public String route() {
        return route;
    }

    @Override
    public List<Upstream> upstreams() {
        return upstreams;
    }

    /**
     * A {@link ConfigException.BadValue} at the value's origin (the spec's when the value is missing), whose message
     * is {@code <file>:<line>: <full key>: <value or "missing"> (expected: <expected>)}.
     */
    @Override
    public ConfigException invalid(String path, String expected) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(expected, "expected");
        ConfigValue value = find(config, path);
        // where the user wrote it; a default from the plugin's own reference.conf is reported at the plugin's block
        ConfigValue written = find(spec.settings(), path);
        ConfigOrigin origin = written != null && written.origin().lineNumber() > 0 ? written.origin() : spec.origin();
        String key = spec.path() + "." + path;
        String what = value == null ? "missing" : ConfigMessages.render(value);
        return new PluginConfigException(origin, key,
                ConfigMessages.location(origin) + ": " + key + ": " + what + " (expected: " + expected + ")", null);
    }

    /**
     * The value at {@code path} in {@code in}, an explicit null included; {@code null} when absent or the path is
     * malformed.
     */
    private static ConfigValue find(Config in, String path) {
        List<String> elements;
        try {
            elements = ConfigUtil.splitPath(path);
        } catch (ConfigException e) {
            return null;
        }
        ConfigValue value = in.root();
        for (String element : elements) {
            if (value.valueType() != ConfigValueType.OBJECT) {
                return null;
            }
            value = ((ConfigObject) value).get(element);
            if (value == null) {
                return null;
            }
        }
        return value;
    }
}
