package dev.proxykit.runtime.plugin;

import java.util.List;

/**
 * Problems found while discovering plugins (a name provided twice, a JAR with no factories, an unreadable JAR...),
 * each one line that names the plugin, its JAR and what to do. Start-up prints them and exits 2.
 */
public final class PluginException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public PluginException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
