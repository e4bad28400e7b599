package dev.proxykit.runtime.plugin;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;

/**
 * A bad plugin setting, a plugin name no plugin provides, or a plugin that failed while being built. A
 * {@link ConfigException.BadValue} at the value's origin whose message is one line in the shape of every
 * configuration problem: {@code <file>:<line>: <full key>: <what is wrong> (expected: ...)}. Immutable.
 */
final class PluginConfigException extends ConfigException.BadValue {

    private static final long serialVersionUID = 1L;

    private final String text;

    /**
     * @param origin where the value (or the plugin spec) is written
     * @param path   the full key, such as {@code proxykit.routes[0].directors[1].host}
     * @param text   the whole message, starting with the location and the key
     * @param cause  the failure behind it, or {@code null}
     */
    PluginConfigException(ConfigOrigin origin, String path, String text, Throwable cause) {
        super(origin, path, text, cause);
        this.text = text;
    }

    @Override
    public String getMessage() {
        return text;
    }
}
