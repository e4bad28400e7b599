package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads single HOCON values into Java values. Each method takes a present value (possibly an explicit
 * {@code null}) and its full key; on a bad value it records one problem and returns {@code null}. Values from
 * {@code -D} system properties arrive as strings and are converted like HOCON does. Confined to the reading thread.
 */
final class ValueReader {

    static final String POSITIVE_DURATION = "a positive duration with a unit, such as 5s or 500ms (units: ns, us, ms, s, m,"
            + " h, d)";
    static final String DURATION = "0s or " + POSITIVE_DURATION;
    static final String SIZE = "a size in bytes, or with a unit such as 8k or 1m";

    private static final Pattern DIGITS = Pattern.compile("\\s*[0-9]+\\s*");
    private static final String VALUE = "v";

    private final Problems problems;

    ValueReader(Problems problems) {
        this.problems = problems;
    }

    Problems problems() {
        return problems;
    }

    /** Whether the value is an explicit {@code null}. */
    static boolean isNull(ConfigValue value) {
        return value.valueType() == ConfigValueType.NULL;
    }

    /** How a value looks in a message: {@code null}, {@code "text"}, {@code 5}... */
    static String describe(ConfigValue value) {
        return isNull(value) ? "null" : ConfigMessages.render(value);
    }

    /** Records that {@code value} is not what {@code expected} says. Always returns {@code null}. */
    <T> T invalid(ConfigValue value, String key, String expected) {
        problems.add(value.origin(), key, describe(value), expected);
        return null;
    }

    /** A string; numbers and booleans are taken as written (HOCON does the same). */
    String string(ConfigValue value, String key, String expected) {
        switch (value.valueType()) {
            case STRING:
            case NUMBER:
            case BOOLEAN:
                return String.valueOf(value.unwrapped());
            default:
                return invalid(value, key, expected);
        }
    }

    /** {@code true} or {@code false} (also {@code yes}/{@code no}, {@code on}/{@code off}, as HOCON allows). */
    Boolean bool(ConfigValue value, String key) {
        try {
            return value.atKey(VALUE).getBoolean(VALUE);
        } catch (ConfigException e) {
            return invalid(value, key, "true or false");
        }
    }

    /** A whole number from {@code min} to {@code max}; a fraction such as 1.5 is refused, not truncated. */
    Long whole(ConfigValue value, String key, long min, long max, String expected) {
        Object raw = value.unwrapped();
        Long number = null;
        if (raw instanceof Integer || raw instanceof Long) {
            number = ((Number) raw).longValue();
        } else if (raw instanceof String && DIGITS.matcher((String) raw).matches()) {
            try {
                number = Long.parseLong(((String) raw).trim());
            } catch (NumberFormatException e) {
                number = null; // too many digits: reported below
            }
        }
        if (number == null || number < min || number > max) {
            return invalid(value, key, expected);
        }
        return number;
    }

    /** A whole number from {@code min} to {@code max} that fits an int. */
    Integer integer(ConfigValue value, String key, int min, int max, String expected) {
        Long number = whole(value, key, min, max, expected);
        return number == null ? null : Math.toIntExact(number);
    }

    /**
     * A duration with a unit. A bare number is refused: HOCON would read {@code 5} as five milliseconds where an
     * nginx user means five seconds.
     *
     * @param allowZero whether {@code 0s} is valid; negative durations never are
     */
    Duration duration(ConfigValue value, String key, boolean allowZero) {
        String expected = allowZero ? DURATION : POSITIVE_DURATION;
        Object raw = value.unwrapped();
        if (value.valueType() == ConfigValueType.NUMBER || raw instanceof String && DIGITS.matcher((String) raw).matches()) {
            problems.add(value.origin(), key, describe(value) + " has no unit", expected);
            return null;
        }
        if (value.valueType() != ConfigValueType.STRING) {
            return invalid(value, key, expected);
        }
        Duration duration;
        try {
            duration = value.atKey(VALUE).getDuration(VALUE);
        } catch (ConfigException e) {
            return invalid(value, key, expected);
        }
        if (duration.isNegative() || !allowZero && duration.isZero()) {
            return invalid(value, key, expected);
        }
        return duration;
    }

    /** A size in bytes: a whole number, or a string with a unit such as {@code 8k}; from {@code min} to {@code max}. */
    Long bytes(ConfigValue value, String key, long min, long max, String expected) {
        Long bytes;
        if (value.unwrapped() instanceof Integer || value.unwrapped() instanceof Long) {
            bytes = ((Number) value.unwrapped()).longValue();
        } else if (value.valueType() == ConfigValueType.STRING) {
            try {
                bytes = value.atKey(VALUE).getBytes(VALUE);
            } catch (ConfigException e) {
                bytes = null;
            }
        } else {
            bytes = null;
        }
        if (bytes == null || bytes < min || bytes > max) {
            return invalid(value, key, expected);
        }
        return bytes;
    }

    /** An object ({@code { ... }}). */
    ConfigObject object(ConfigValue value, String key, String expected) {
        if (value.valueType() != ConfigValueType.OBJECT) {
            return invalid(value, key, expected);
        }
        return (ConfigObject) value;
    }

    /**
     * A list ({@code [ ... ]}); an object with keys 0, 1, 2... (how {@code -Dkey.0=a -Dkey.1=b} arrives) is taken
     * as a list too.
     */
    List<ConfigValue> list(ConfigValue value, String key, String expected) {
        if (value.valueType() == ConfigValueType.LIST) {
            return (ConfigList) value;
        }
        if (value.valueType() == ConfigValueType.OBJECT) {
            try {
                return value.atKey(VALUE).getList(VALUE);
            } catch (ConfigException e) {
                return invalid(value, key, expected);
            }
        }
        return invalid(value, key, expected);
    }
}
