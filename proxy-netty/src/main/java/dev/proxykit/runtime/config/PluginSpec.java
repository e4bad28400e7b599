package dev.proxykit.runtime.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigOrigin;
import java.util.Objects;

/**
 * One plugin instance as configured: a bare {@code NAME} or a block {@code { type = NAME, ...settings }}.
 *
 * @param type     the plugin name
 * @param settings the block without {@code type} (empty for a bare name)
 * @param path     where it sits in the configuration, such as {@code proxykit.routes[0].directors[1]}
 * @param origin   file and line of the value, for error messages
 */
public record PluginSpec(String type, Config settings, String path, ConfigOrigin origin) {

    public PluginSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(origin, "origin");
    }
}
