package dev.proxykit.runtime;

import java.util.List;

/** Why the proxy could not start: configuration problems (exit 2) or an address that could not be bound. */
public final class StartupException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public StartupException(List<String> problems, Throwable cause) {
        super(String.join(System.lineSeparator(), problems), cause);
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
