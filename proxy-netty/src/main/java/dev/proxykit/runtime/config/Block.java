package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * One HOCON object being read against the schema. Every key asked for through {@link #get(String)} becomes known;
 * {@link #rejectUnknownKeys()} then reports the others, with a did-you-mean. Confined to the reading thread.
 */
final class Block {

    private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private final ConfigObject object;
    private final String path;
    private final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();

    /**
     * @param object   the object
     * @param path     its full key for messages, such as {@code proxykit.routes[0].timeouts}
     * @param problems where unknown keys are reported
     */
    Block(ConfigObject object, String path, Problems problems) {
        this.object = object;
        this.path = path;
        this.problems = problems;
    }

    /** The value of {@code name}, or {@code null} when absent; an explicit {@code null} is a value of type NULL. */
    ConfigValue get(String name) {
        known.add(name);
        return object.get(name);
    }

    /**
     * Reads {@code name} with {@code reader}. An absent key is a problem when {@code required} (a global block,
     * which reference.conf fills) and otherwise yields {@code fallback} (a route inheriting the global value).
     */
    <T> T read(String name, boolean required, T fallback, String expected, BiFunction<ConfigValue, String, T> reader) {
        ConfigValue value = get(name);
        if (value == null) {
            if (required) {
                problems.add(origin(), key(name), "missing", expected);
            }
            return fallback;
        }
        return reader.apply(value, key(name));
    }

    /** The full key of {@code name} in this block, for messages. */
    String key(String name) {
        return path + (SIMPLE_KEY.matcher(name).matches() ? "." + name : ".\"" + name + '"');
    }

    /** This block's full key. */
    String path() {
        return path;
    }

    /** Where the block is written. */
    ConfigOrigin origin() {
        return object.origin();
    }

    /** Reports every key that no {@link #get(String)} asked for. Call after reading all known keys. */
    void rejectUnknownKeys() {
        object.entrySet().stream()
                .filter(entry -> !known.contains(entry.getKey()))
                .sorted(Comparator.comparingInt((Map.Entry<String, ConfigValue> e) -> e.getValue().origin().lineNumber())
                        .thenComparing(Map.Entry::getKey))
                .forEach(e -> problems.unknownKey(e.getValue().origin(), key(e.getKey()), e.getKey(), known));
    }
}
