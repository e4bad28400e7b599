package dev.proxykit.plugins;

import dev.proxykit.api.Director;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.Upstream;
import java.util.Set;

/**
 * The {@code host-rewrite} director: sends {@code Host} as the chosen upstream's
 * {@link Upstream#authority() authority}, or as the configured {@code host}. The outbound {@code Host} field keeps
 * its position and the case of its name; a request without one gets {@code Host} appended.
 *
 * <p>Settings ({@code proxykit.plugins.host-rewrite} in {@code reference.conf}): {@code host}, a {@code host[:port]}
 * sent as written, or {@code null} (the default) for the upstream's authority.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class HostRewriteDirectorFactory implements DirectorFactory {

    static final String NAME = "host-rewrite";

    private static final Set<String> KEYS = Set.of("host");
    private static final String EXPECTED = "a host name or IP address with an optional :port, such as"
            + " backend.example.com, 10.0.0.1:8080 or [::1]:8080, or null for the chosen upstream's authority";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public HostRewriteDirectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Sends Host as the chosen upstream's host[:port], or as the configured 'host'";
    }

    /**
     * Validates {@code host} and builds the director. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a {@code host} that is not a host[:port]
     */
    @Override
    public Director create(PluginContext context) {
        Settings.checkKeys(context, KEYS);
        String host = Settings.stringOrNull(context, "host", EXPECTED);
        if (host != null) {
            String problem = checkHost(host);
            if (problem != null) {
                throw context.invalid("host", EXPECTED + " (" + problem + ")");
            }
        }
        return new HostRewriteDirector(host);
    }

    /** Returns null when {@code host} is a valid {@code host[:port]}, else what is wrong with it. */
    static String checkHost(String host) {
        if (host.isEmpty()) {
            return "it is empty";
        }
        if (host.contains("://")) {
            return "it is a URL: write only its host[:port]";
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c <= ' ' || c >= 0x7F) {
                return (c == ' ' ? "a space" : "character 0x" + Integer.toHexString(c)) + " at index " + i;
            }
            if (c == '/' || c == '?' || c == '#' || c == '@') {
                return "'" + c + "' at index " + i + ": only host[:port], without scheme, path, query or userinfo";
            }
        }
        String url = "http://" + host;
        try {
            Upstream.parse(url);
            return null;
        } catch (IllegalArgumentException e) {
            // The parser says 'invalid upstream URL "http://HOST": WHY'; only WHY is about the setting.
            String prefix = "invalid upstream URL \"" + url + "\": ";
            String message = e.getMessage();
            return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        }
    }
}
