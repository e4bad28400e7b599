package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads the table {@code bin/proxykit --list-plugins} prints: a header {@code NAME KIND VERSION SOURCE DESCRIPTION}
 * and one row per plugin, columns padded with spaces (a kind may hold a space: "error classifier"). Log lines that
 * the console appender prints before it are skipped. Stateless.
 */
final class PluginTable {

    private static final Pattern HEADER = Pattern.compile("NAME +KIND +VERSION +SOURCE +DESCRIPTION");

    private PluginTable() {
    }

    /** The rows after the header line, in order; fails when there is no header. */
    static List<String> rows(String stdout) {
        List<String> lines = stdout.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (HEADER.matcher(lines.get(i)).matches()) {
                return lines.subList(i + 1, lines.size());
            }
        }
        return fail("no plugin table (expected a line " + HEADER + ") in:\n" + stdout);
    }

    /** A row with exactly these first four columns and a non-empty description. */
    static Pattern row(String name, String kind, String version, String source) {
        return Pattern.compile(Pattern.quote(name) + " +" + Pattern.quote(kind) + " +" + Pattern.quote(version) + " +"
                + Pattern.quote(source) + " +\\S.*");
    }
}
