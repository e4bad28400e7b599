package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The pieces every configuration message is made of: where a value is ({@code file:line}), how it looks, and which
 * known name a misspelt one was meant to be. Shared by the configuration and plugin packages so that every problem
 * line has one shape: {@code <file>:<line>: <key>: <what is wrong> (expected: ...)}.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigMessages {

    /** The largest Levenshtein distance at which a known name is suggested. */
    static final int MAX_SUGGESTION_DISTANCE = 2;

    private static final int MAX_RENDERED_LENGTH = 80;
    private static final Pattern LINE_SUFFIX = Pattern.compile(": \\d+(-\\d+)?$");
    private static final String MERGE_PREFIX = "merge of ";

    private ConfigMessages() {
    }

    /**
     * Where a value was written: {@code <file>:<line>}, or the file (or other origin, such as
     * {@code system properties}) alone when there is no line.
     *
     * @param origin the value's origin, not {@code null}
     */
    public static String location(ConfigOrigin origin) {
        String source = source(origin);
        return origin.lineNumber() > 0 ? source + ":" + origin.lineNumber() : source;
    }

    /**
     * The file (or URL, or description such as {@code system properties}) a value comes from, without the line.
     *
     * @param origin the value's origin, not {@code null}
     */
    public static String source(ConfigOrigin origin) {
        Objects.requireNonNull(origin, "origin");
        if (origin.filename() != null) {
            return origin.filename();
        }
        if (origin.url() != null) {
            return origin.url().toString();
        }
        String description = origin.description();
        if (description.startsWith(MERGE_PREFIX)) {
            // "merge of a.conf: 3,reference.conf: 7": name the first part, which wins over the ones after it
            description = description.substring(MERGE_PREFIX.length());
            int comma = description.indexOf(',');
            if (comma >= 0) {
                description = description.substring(0, comma);
            }
        }
        return LINE_SUFFIX.matcher(description).replaceFirst("");
    }

    /**
     * A value as HOCON shows it ({@code "text"} in quotes, {@code 5}, {@code {"a":1}}), shortened when long.
     *
     * @param value the value, not {@code null}
     */
    public static String render(ConfigValue value) {
        String text = value.render(ConfigRenderOptions.concise());
        return text.length() <= MAX_RENDERED_LENGTH ? text : text.substring(0, MAX_RENDERED_LENGTH - 3) + "...";
    }

    /** A duration as a configuration file writes it: {@code 30s}, {@code 500ms}, {@code 1500ms}, {@code 0s}. */
    public static String duration(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    /**
     * The candidate closest to {@code name} (ignoring case) when at most two edits away, else {@code null}. Ties go
     * to the candidate met first.
     */
    public static String closest(String name, Collection<String> candidates) {
        String best = null;
        int bestDistance = MAX_SUGGESTION_DISTANCE + 1;
        String lower = name.toLowerCase(Locale.ROOT);
        for (String candidate : candidates) {
            int d = distance(lower, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance && !candidate.equals(name)) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best;
    }

    /** {@code "; did you mean \"x\"?"} for the closest candidate, or {@code ""} when none is close. */
    public static String didYouMean(String name, Collection<String> candidates) {
        String best = closest(name, candidates);
        return best == null ? "" : "; did you mean \"" + best + "\"?";
    }

    /** The Levenshtein distance: insertions, deletions and substitutions. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
