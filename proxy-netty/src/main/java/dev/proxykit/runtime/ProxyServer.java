package dev.proxykit.runtime;

import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginRegistry;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A running proxy: the entry point for the launcher, the demo, the tests and embedders.
 */
public final class ProxyServer implements AutoCloseable {

    private ProxyServer() {
    }

    /**
     * Builds every route (plugins, TLS contexts) without binding anything, and returns every problem found, each a
     * line naming the key, file:line and what was expected; empty when the configuration can run. This is
     * {@code --check}.
     */
    public static List<String> check(ProxySettings settings, PluginRegistry registry) {
        throw new UnsupportedOperationException("not yet written");
    }

    /**
     * Builds the routes, binds every listen address and starts serving; logs one line containing
     * {@code listening on} and the addresses when ready.
     *
     * @throws StartupException when the configuration cannot run (its problems) or an address cannot be bound
     */
    public static ProxyServer start(ProxySettings settings, PluginRegistry registry) throws StartupException {
        throw new UnsupportedOperationException("not yet written");
    }

    /** The bound addresses, with real ports when the configuration asked for port 0. */
    public List<InetSocketAddress> addresses() {
        throw new UnsupportedOperationException("not yet written");
    }

    /**
     * Stops accepting, lets in-flight exchanges finish within the configured grace period, then closes every
     * connection and releases the event loops. Blocks until done. Idempotent.
     */
    @Override
    public void close() {
        throw new UnsupportedOperationException("not yet written");
    }
}
