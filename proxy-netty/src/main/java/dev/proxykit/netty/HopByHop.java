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
                named = addNamedFields(h.value(i), named);
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

    /**
     * Adds the field names a {@code Connection} value lists to {@code named} (created when needed), leaving out
     * {@code close} and the fixed hop-by-hop names, which need no second removal: the usual {@code keep-alive} or
     * {@code close} then costs no list and no substring.
     */
    private static List<String> addNamedFields(String value, List<String> named) {
        int len = value.length();
        int start = 0;
        while (start < len) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? len : comma;
            int s = start;
            int e = end;
            while (s < e && value.charAt(s) <= ' ') {
                s++;
            }
            while (e > s && value.charAt(e - 1) <= ' ') {
                e--;
            }
            if (e > s && !removedAnyway(value, s, e - s)) {
                String name = value.substring(s, e);
                if (HeaderNames.isToken(name) && !name.equalsIgnoreCase("host")
                        && !name.equalsIgnoreCase("content-length")) {
                    if (named == null) {
                        named = new ArrayList<>(2);
                    }
                    named.add(name);
                }
            }
            start = end + 1;
        }
        return named;
    }

    /** Whether the token at {@code value[from, from + length)} is {@code close} or one of the fixed names. */
    private static boolean removedAnyway(String value, int from, int length) {
        if (length == 5 && value.regionMatches(true, from, "close", 0, 5)) {
            return true;
        }
        for (String name : FIXED) {
            if (name.length() == length && value.regionMatches(true, from, name, 0, length)) {
                return true;
            }
        }
        return false;
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
