package dev.proxykit.runtime.config;

import java.util.List;

/**
 * Every problem found in a configuration, each one line of the form {@code <file>:<line>: <key>: <what is wrong>
 * (expected: ...)}, with those of its plugins when a {@link PluginCheck} was given (a plugins folder's own problems,
 * such as an unreadable JAR, name the JAR instead). Start-up prints them all and exits 2.
 */
public final class ConfigProblems extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigProblems(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("problems: [] (expected: at least one)");
        }
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, in the order found. */
    public List<String> problems() {
        return problems;
    }
}
