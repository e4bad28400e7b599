package dev.proxykit.plugins;

import com.typesafe.config.ConfigException;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code consistent-hash} selector: Maglev hashing of a request key (nginx's {@code hash ... consistent},
 * Envoy's {@code MAGLEV}; see {@link ConsistentHashSelector} and {@link MaglevTable}), weighted.
 *
 * <p>Settings ({@code proxykit.plugins.consistent-hash} in {@code reference.conf}):
 * <ul>
 *   <li>{@code key}: {@code header}, {@code cookie}, {@code client-ip} (the default; nginx's {@code ip_hash}) or
 *       {@code path} (the raw path, without the query);</li>
 *   <li>{@code name}: the header or cookie name, required for those two and refused otherwise;</li>
 *   <li>{@code fallback}: where a request without the key goes: {@code random} (the default, like Envoy) or
 *       {@code client-ip};</li>
 *   <li>{@code table-size}: the Maglev table's size, a prime from 101 to 16777213, 65537 by default; keep it
 *       above 100 times the number of upstreams for even shares.</li>
 * </ul>
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class ConsistentHashSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "consistent-hash";

    private static final Set<String> KEYS = Set.of("key", "name", "fallback", "table-size");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final int MAX_TABLE = 16_777_213;

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public ConsistentHashSelectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Maglev consistent hashing of a header, a cookie, the client IP or the path (weighted)";
    }

    /**
     * Validates the settings and builds the selector. Called at start-up, never on an event loop.
     *
     * @throws ConfigException for an unknown key or a bad value
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, KEYS);
        String keyExpected = "header, cookie, client-ip or path";
        String key = Settings.string(context, "key", keyExpected);
        ConsistentHashSelector.KeySource source;
        switch (key) {
            case "header":
                source = ConsistentHashSelector.KeySource.HEADER;
                break;
            case "cookie":
                source = ConsistentHashSelector.KeySource.COOKIE;
                break;
            case "client-ip":
                source = ConsistentHashSelector.KeySource.CLIENT_IP;
                break;
            case "path":
                source = ConsistentHashSelector.KeySource.PATH;
                break;
            default:
                throw context.invalid("key", keyExpected + " (found: \"" + key + "\")");
        }
        String name = Settings.stringOrNull(context, "name", "a header or cookie name, or null");
        boolean named = source == ConsistentHashSelector.KeySource.HEADER
                || source == ConsistentHashSelector.KeySource.COOKIE;
        if (named && (name == null || !TOKEN.matcher(name).matches())) {
            throw context.invalid("name", "the " + key + " name to hash, such as \""
                    + (source == ConsistentHashSelector.KeySource.HEADER ? "X-User-Id" : "session")
                    + "\", with key = " + key + " (found: " + (name == null ? "null" : "\"" + name + "\"") + ")");
        }
        if (!named && name != null) {
            throw context.invalid("name", "null: only key = header or key = cookie takes a name (key is " + key + ")");
        }
        String fallbackExpected = "random or client-ip";
        String fallbackText = Settings.string(context, "fallback", fallbackExpected);
        ConsistentHashSelector.Fallback fallback;
        if (fallbackText.equals("random")) {
            fallback = ConsistentHashSelector.Fallback.RANDOM;
        } else if (fallbackText.equals("client-ip")) {
            fallback = ConsistentHashSelector.Fallback.CLIENT_IP;
        } else {
            throw context.invalid("fallback", fallbackExpected + " (found: \"" + fallbackText + "\")");
        }
        String sizeExpected = "a prime from 101 to " + MAX_TABLE + ", such as 65537";
        int size = Settings.integer(context, "table-size", 101, MAX_TABLE, sizeExpected);
        if (!MaglevTable.isPrime(size)) {
            throw context.invalid("table-size", sizeExpected + " (found: " + size + ", which is not prime)");
        }
        return new ConsistentHashSelector(source, name, fallback, size);
    }
}
