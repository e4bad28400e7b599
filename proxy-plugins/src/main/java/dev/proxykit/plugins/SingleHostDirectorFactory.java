package dev.proxykit.plugins;

import dev.proxykit.api.Director;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.PluginContext;
import java.util.Set;

/**
 * The {@code single-host} director: the Director of Go's {@code httputil.NewSingleHostReverseProxy}, on raw strings.
 *
 * <p>The outbound path is the chosen upstream's {@link dev.proxykit.api.Upstream#pathPrefix() path prefix} joined
 * with the request path with exactly one {@code /} between them (Go's {@code singleJoiningSlash}); the outbound
 * query is the {@code query} setting and the request's query joined with {@code &} (Go's target {@code RawQuery}
 * merge), and a request that ends in a bare {@code ?} keeps it when the merged query is empty (Go's
 * {@code ForceQuery}). Nothing is decoded or re-encoded, slashes are never merged, the client's {@code Host} is kept
 * and no {@code User-Agent} is added. A request target that is not in origin-form ({@code *}) is left alone.
 *
 * <p>Settings ({@code proxykit.plugins.single-host} in {@code reference.conf}): {@code query}, a raw query without
 * the leading {@code ?}, empty by default.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class SingleHostDirectorFactory implements DirectorFactory {

    static final String NAME = "single-host";

    private static final Set<String> KEYS = Set.of("query");

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public SingleHostDirectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Go's NewSingleHostReverseProxy: upstream path + request path with one '/', 'query' merged, Host kept";
    }

    /**
     * Validates {@code query} and builds the director. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a query that is not a raw RFC 3986 query
     */
    @Override
    public Director create(PluginContext context) {
        Settings.checkKeys(context, KEYS);
        String query = Settings.string(context, "query", "a raw query without the leading '?', or \"\"");
        String problem = checkQuery(query);
        if (problem != null) {
            throw context.invalid("query", "a raw query without the leading '?', percent-encoded as it goes on the"
                    + " wire, or \"\" (" + problem + ")");
        }
        return new SingleHostDirector(query);
    }

    /** Returns null when {@code query} is a raw RFC 3986 query (percent-encoded, no '#'), else what is wrong. */
    static String checkQuery(String query) {
        if (query.startsWith("?")) {
            return "it starts with '?': write \"" + query.substring(1) + "\"";
        }
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '%') {
                if (i + 2 >= query.length() || !isHex(query.charAt(i + 1)) || !isHex(query.charAt(i + 2))) {
                    return "'%' at index " + i + " is not followed by two hex digits";
                }
                i += 2;
                continue;
            }
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0;
            if (!ok) {
                return "character " + (c > ' ' && c < 0x7F ? "'" + c + "'" : "0x" + Integer.toHexString(c))
                        + " at index " + i + " must be percent-encoded";
            }
        }
        return null;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
