package dev.proxykit.netty;

import dev.proxykit.api.HeaderNames;
import dev.proxykit.netty.http1.HeaderBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes hop-by-hop header fields (RFC 9110 7.6.1), in requests and responses: every field named in any
 * {@code Connection} line, and the fixed list {@code Connection}, {@code Proxy-Connection}, {@code Keep-Alive},
 * {@code Proxy-Authenticate}, {@code Proxy-Authorization}, {@code TE} (a {@code TE: trailers} request keeps
 * {@code TE: trailers}), {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade} and {@code HTTP2-Settings}.
 */
final class HopByHop {

    private static final String[] FIXED = {
        "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE",
        "Trailer", "Transfer-Encoding", "Upgrade", "HTTP2-Settings"
    };

    private HopByHop() {
    }

    /**
     * Removes the hop-by-hop fields of {@code h}. {@code Host} and {@code Content-Length} are never removed because
     * a {@code Connection} line names them: that is a request-smuggling trick, not a hop-by-hop field.
     *
     * @param keepTeTrailers whether a request's {@code TE: trailers} survives (as {@code TE: trailers})
     * @return the value of the removed {@code Upgrade} field, or {@code null}, so an upgrade can restore it
     */
    static String strip(HeaderBlock h, boolean keepTeTrailers) {
        String upgrade = h.get("Upgrade");
        boolean teTrailers = keepTeTrailers && hasTrailers(h);
        List<String> named = null;
        for (int i = 0, n = h.size(); i < n; i++) {
            if (h.nameEquals(i, "connection")) {
                for (String token : h.value(i).split(",")) {
                    String name = token.trim();
                    if (HeaderNames.isToken(name) && !name.equalsIgnoreCase("host")
                            && !name.equalsIgnoreCase("content-length")) {
                        if (named == null) {
                            named = new ArrayList<>(2);
                        }
                        named.add(name);
                    }
                }
            }
        }
        if (named != null) {
            for (String name : named) {
                h.remove(name);
            }
        }
        for (String name : FIXED) {
            h.remove(name);
        }
        if (teTrailers) {
            h.add("TE", "trailers");
        }
        return upgrade;
    }

    private static boolean hasTrailers(HeaderBlock h) {
        for (int i = 0; i < h.size(); i++) {
            if (h.nameEquals(i, "te") && HeaderNames.listContains(h.value(i), "trailers")) {
                return true;
            }
        }
        return false;
    }
}
