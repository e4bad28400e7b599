package dev.proxykit.plugins;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import dev.proxykit.api.PluginContext;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads and checks the settings of a built-in plugin. Used only inside {@code create(PluginContext)}, off the event
 * loops. Every failure is a {@link ConfigException} built by {@link PluginContext#invalid(String, String)}, so it
 * names the key, the file and line, and what was expected.
 */
final class Settings {

    /** The {@code rotation} key of the rotating selectors. */
    static final String ROTATION = "rotation";

    private Settings() {
    }

    /**
     * Reads {@code rotation}: {@code global} or {@code per-event-loop}.
     *
     * @throws ConfigException if it is missing or anything else
     */
    static Sequence rotation(PluginContext context) {
        String expected = "global (strict rotation across all event loops) or per-event-loop (each event loop"
                + " rotates on its own)";
        String value = string(context, ROTATION, expected);
        switch (value) {
            case "global":
                return Sequence.global();
            case "per-event-loop":
                return Sequence.perThread();
            default:
                throw context.invalid(ROTATION, expected + " (found: \"" + value + "\")");
        }
    }

    /**
     * Returns the whole number at {@code key}, from {@code min} to {@code max}.
     *
     * @throws ConfigException if the key is missing, not a whole number, or out of range
     */
    static int integer(PluginContext context, String key, int min, int max, String expected) {
        Config config = context.config();
        if (!config.hasPath(key)) {
            throw context.invalid(key, expected + " (the setting is missing)");
        }
        Object raw = config.getValue(key).unwrapped();
        long value;
        if (raw instanceof Integer || raw instanceof Long) {
            value = ((Number) raw).longValue();
        } else if (raw instanceof String && ((String) raw).trim().matches("[0-9]{1,18}")) {
            value = Long.parseLong(((String) raw).trim());
        } else {
            throw context.invalid(key, expected + " (found: " + config.getValue(key).render() + ")");
        }
        if (value < min || value > max) {
            throw context.invalid(key, expected + " (found: " + value + ")");
        }
        return (int) value;
    }

    /**
     * Rejects every key of the instance's block that is not in {@code allowed}.
     *
     * @throws ConfigException naming the first unknown key and the keys the plugin knows
     */
    static void checkKeys(PluginContext context, Set<String> allowed) {
        for (String key : context.config().root().keySet()) {
            if (!allowed.contains(key)) {
                String known = allowed.isEmpty() ? "no settings" : "one of " + new TreeSet<>(allowed);
                throw context.invalid(ConfigUtil.joinPath(key),
                        "a known setting of plugin " + context.pluginName() + " (\"" + key + "\" is unknown; expected: "
                                + known + ")");
            }
        }
    }

    /**
     * Returns the string at {@code key}, or {@code null} when it is set to {@code null}. Numbers and booleans are
     * read as their text, as Typesafe Config does; objects and lists are rejected.
     *
     * @throws ConfigException if the key is missing (a default is absent from reference.conf) or not a string
     */
    static String stringOrNull(PluginContext context, String key, String expected) {
        Config config = context.config();
        if (!config.hasPathOrNull(key)) {
            throw context.invalid(key, expected + " (the setting is missing)");
        }
        if (config.getIsNull(key)) {
            return null;
        }
        try {
            return config.getString(key);
        } catch (ConfigException.WrongType e) {
            throw context.invalid(key, expected + " (found: " + config.getValue(key).valueType().name().toLowerCase(Locale.ROOT)
                    + ")");
        }
    }

    /**
     * Returns the string at {@code key}, which must not be {@code null}.
     *
     * @throws ConfigException if the key is missing, null or not a string
     */
    static String string(PluginContext context, String key, String expected) {
        String value = stringOrNull(context, key, expected);
        if (value == null) {
            throw context.invalid(key, expected + " (found: null)");
        }
        return value;
    }
}
