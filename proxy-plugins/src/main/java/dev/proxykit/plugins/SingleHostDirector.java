package dev.proxykit.plugins;

import dev.proxykit.api.Director;
import dev.proxykit.api.ProxyRequest;

/** The director built by {@link SingleHostDirectorFactory}. Immutable and thread-safe; never blocks. */
final class SingleHostDirector implements Director {

    private final String query;

    SingleHostDirector(String query) {
        this.query = query;
    }

    @Override
    public void direct(ProxyRequest request) {
        String target = request.target();
        String prefix = request.upstream().pathPrefix();
        if (!target.startsWith("/") || (prefix.isEmpty() && query.isEmpty())) {
            // Not origin-form (such as "*"), or nothing to join or merge: the result would equal the target.
            return;
        }
        request.setTarget(rewrite(prefix, query, target));
    }

    /**
     * The outbound target for {@code target} (origin-form, raw) sent to an upstream with path {@code prefix} and a
     * configured query {@code baseQuery}, as Go's {@code rewriteRequestURL} computes it.
     */
    static String rewrite(String prefix, String baseQuery, String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String requestQuery = q < 0 ? "" : target.substring(q + 1);
        String joined = joinPath(prefix, path);
        String merged = baseQuery.isEmpty() || requestQuery.isEmpty()
                ? baseQuery + requestQuery
                : baseQuery + '&' + requestQuery;
        if (!merged.isEmpty()) {
            return joined + '?' + merged;
        }
        // Go's URL.ForceQuery: "/x?" keeps its '?' when there is no query to send.
        return q >= 0 ? joined + '?' : joined;
    }

    /** Go's {@code singleJoiningSlash}: {@code a} and {@code b} joined with exactly one '/' between them. */
    static String joinPath(String a, String b) {
        boolean aSlash = a.endsWith("/");
        boolean bSlash = b.startsWith("/");
        if (aSlash && bSlash) {
            return a + b.substring(1);
        }
        if (!aSlash && !bSlash) {
            return a + '/' + b;
        }
        return a + b;
    }
}
