package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigOrigin;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Collects configuration problems, each one line {@code <file>:<line>: <key>: <what is wrong> (expected: ...)}, so
 * that a user sees every mistake in one run, in the order they stand in each file. Confined to the reading thread.
 * Public for the runtime, which reports the plugins' problems of a configuration without problems of its own.
 */
public final class Problems implements PluginCheck.Report {

    /** One problem line, with where it stands for sorting. */
    private record Problem(String source, int line, String text) {
    }

    private final List<Problem> problems = new ArrayList<>();

    /** No problems yet. */
    public Problems() {
    }

    /** A problem with the value at {@code key}: {@code what} is wrong, {@code expected} says what would be right. */
    void add(ConfigOrigin origin, String key, String what, String expected) {
        addLine(origin, key, what + " (expected: " + expected + ")");
    }

    /** A problem whose message already says what was expected (such as {@link dev.proxykit.api.Upstream}'s). */
    void addLine(ConfigOrigin origin, String key, String message) {
        problem(origin, ConfigMessages.location(origin) + ": " + key + ": " + message);
    }

    /** A whole line built elsewhere (a plugin's problem), sorted in by {@code origin}; raw when it is null. */
    @Override
    public void problem(ConfigOrigin origin, String line) {
        if (origin == null) {
            addRaw(line);
        } else {
            problems.add(new Problem(ConfigMessages.source(origin), origin.lineNumber(), line));
        }
    }

    /** A line built elsewhere, such as a syntax error, which has no key. */
    void addRaw(String line) {
        problems.add(new Problem("", -1, line));
    }

    /** A key the schema does not know, with the closest known one when it is a likely misspelling. */
    void unknownKey(ConfigOrigin origin, String key, String name, Collection<String> known) {
        add(origin, key, "unknown key" + ConfigMessages.didYouMean(name, known),
                known.isEmpty() ? "no keys here" : "one of " + String.join(", ", known));
    }

    int size() {
        return problems.size();
    }

    /** Whether none was found. */
    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /**
     * Every problem, sorted by file and line (stable: problems on one line keep the order found; those without a
     * place first).
     */
    public List<String> lines() {
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparing(Problem::source).thenComparingInt(Problem::line));
        return sorted.stream().map(Problem::text).toList();
    }

    /** {@link #lines()} as the exception that carries them. */
    ConfigProblems toException() {
        return new ConfigProblems(lines());
    }
}
