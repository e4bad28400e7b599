package com.example.headerdirector;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.proxykit.api.Director;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.HeaderNames;
import dev.proxykit.api.PluginContext;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code add-header} director: adds a header whose name and value come from its configuration to every request
 * sent upstream, for example {@code directors = [{ type = add-header, name = "X-Hello", value = "world" }]}.
 *
 * <p>Settings (defaults in this plugin's {@code reference.conf}, under {@code proxykit.plugins.add-header}):
 * {@code name} (required, a token), {@code value} (required, one line) and {@code replace} (default {@code true}:
 * the client's fields of that name are removed first). Any other key is an error.
 *
 * <p>Listed in {@code META-INF/services/dev.proxykit.api.DirectorFactory}; instantiated once by
 * {@link java.util.ServiceLoader} when proxykit starts. Stateless and thread-safe.
 */
public final class AddHeaderDirectorFactory implements DirectorFactory {

    /** The name configuration refers to. */
    public static final String NAME = "add-header";

    private static final Logger log = LoggerFactory.getLogger(AddHeaderDirectorFactory.class);

    private static final Set<String> KEYS = Set.of("name", "value", "replace");

    /**
     * Fields this director refuses to add, in lower case: the proxy frames the message and manages the connection
     * (a second {@code Content-Length} or a {@code Transfer-Encoding} would change how the upstream reads the body),
     * and {@code Host} has its own director.
     */
    private static final Set<String> MANAGED = Set.of("host", "content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade");

    private static final String EXPECTED_NAME = "a header name: a token such as X-Hello (letters, digits and"
            + " !#$%&'*+-.^_`|~), other than Host, Content-Length, Transfer-Encoding and the hop-by-hop headers";
    private static final String EXPECTED_VALUE = "a header value: one line of ISO-8859-1 text without control"
            + " characters or leading and trailing whitespace, such as \"world\"";

    /** For {@link java.util.ServiceLoader}: does nothing, as a factory's constructor should. */
    public AddHeaderDirectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Adds a configured header (name, value) to every request sent upstream";
    }

    /**
     * Validates the settings and builds the director of one route. Runs at start-up (and for {@code --check}), never
     * on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key, a missing or invalid {@code name} or
     *                                             {@code value}, or a {@code replace} that is not a boolean; the
     *                                             message names the key, its file and line, and what was expected
     */
    @Override
    public Director create(PluginContext context) {
        Config config = context.config();
        for (String key : config.root().keySet()) {
            if (!KEYS.contains(key)) {
                throw context.invalid(key, "no such setting (add-header has: name, value, replace)");
            }
        }
        String name = requiredString(context, "name", EXPECTED_NAME);
        if (!HeaderNames.isToken(name) || MANAGED.contains(name.toLowerCase(Locale.ROOT))) {
            throw context.invalid("name", EXPECTED_NAME);
        }
        String value = requiredString(context, "value", EXPECTED_VALUE);
        String problem = valueProblem(value);
        if (problem != null) {
            throw context.invalid("value", EXPECTED_VALUE + "; found " + problem);
        }
        ConfigValue replace = config.hasPath("replace") ? config.getValue("replace") : null;
        if (replace == null || replace.valueType() != ConfigValueType.BOOLEAN) {
            throw context.invalid("replace", "true or false");
        }
        boolean replaceClients = (Boolean) replace.unwrapped();
        // the value may be a secret (an API key, say): log the name only
        log.info("add-header: route {} sends {} upstream ({} what the client sent)", context.route(), name,
                replaceClients ? "replacing" : "after");
        return new AddHeaderDirector(name, value, replaceClients);
    }

    /** The string at {@code key}; numbers and booleans count as their text. */
    private static String requiredString(PluginContext context, String key, String expected) {
        Config config = context.config();
        if (!config.hasPath(key)) { // absent or null
            throw context.invalid(key, expected);
        }
        ConfigValueType type = config.getValue(key).valueType();
        if (type != ConfigValueType.STRING && type != ConfigValueType.NUMBER && type != ConfigValueType.BOOLEAN) {
            throw context.invalid(key, expected);
        }
        return config.getString(key);
    }

    /** What is wrong with {@code value} as a header value, or {@code null} when nothing is. */
    static String valueProblem(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n') {
                return "a line break (" + (c == '\r' ? "CR" : "LF") + ") at index " + i;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                return "control character 0x" + Integer.toHexString(c) + " at index " + i;
            }
            if (c > 0xFF) {
                return "character '" + c + "' at index " + i + ", which is not ISO-8859-1";
            }
        }
        if (!value.isEmpty() && (isBlank(value.charAt(0)) || isBlank(value.charAt(value.length() - 1)))) {
            return "leading or trailing whitespace";
        }
        return null;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }
}
