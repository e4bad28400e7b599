package dev.proxykit.plugins;

import dev.proxykit.api.Director;
import dev.proxykit.api.ProxyRequest;

/** The director built by {@link HostRewriteDirectorFactory}. Immutable and thread-safe; never blocks. */
final class HostRewriteDirector implements Director {

    /** The configured Host, or null for the chosen upstream's authority. */
    private final String host;

    HostRewriteDirector(String host) {
        this.host = host;
    }

    @Override
    public void direct(ProxyRequest request) {
        request.setAuthority(host != null ? host : request.upstream().authority());
    }
}
