package dev.proxykit.runtime;

import com.google.inject.Guice;
import dev.proxykit.netty.ProxyEngine;
import dev.proxykit.runtime.config.ConfigLoader;
import dev.proxykit.runtime.config.PluginCheck;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginException;
import dev.proxykit.runtime.plugin.PluginRegistry;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: the entry point for the launcher, the demo, the tests and embedders. Thread-safe.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("proxykit");

    private final ProxySettings settings;
    private final ProxyEngine engine;
    private final RouteAssembler.Assembly assembly;
    private final List<InetSocketAddress> addresses;
    private boolean closed;

    private ProxyServer(ProxySettings settings, ProxyEngine engine, RouteAssembler.Assembly assembly,
                        List<InetSocketAddress> addresses) {
        this.settings = settings;
        this.engine = engine;
        this.assembly = assembly;
        this.addresses = addresses;
    }

    /**
     * Builds every route (plugins, TLS contexts) without binding anything, and returns every problem found, each a
     * line naming the key, file:line and what was expected; empty when the configuration can run. This is
     * {@code --check}.
     */
    public static List<String> check(ProxySettings settings, PluginRegistry registry) {
        try {
            RouteAssembler.assemble(settings, registry).closeLoggers();
            return List.of();
        } catch (StartupException e) {
            return e.problems();
        }
    }

    /**
     * The check that {@link ConfigLoader} runs when a configuration has problems of its own, so that they are reported
     * together with its plugins' problems: discovers the plugins (in the configuration's {@code plugins-dir} and with
     * {@code hostLoader}), then reports every plugin name no plugin provides and what the factories of the plugins
     * whose settings are all known refuse, as {@link #check} would. When discovery itself has problems, those are
     * reported instead: without every plugin the names cannot be checked.
     *
     * @param hostLoader the host's class loader, searched for plugins too
     */
    public static PluginCheck pluginCheck(ClassLoader hostLoader) {
        Objects.requireNonNull(hostLoader, "hostLoader");
        return (use, report) -> {
            PluginRegistry registry;
            try {
                registry = PluginRegistry.discover(use.pluginsDir(), hostLoader);
            } catch (PluginException e) {
                e.problems().forEach(problem -> report.problem(null, problem));
                return;
            }
            RouteAssembler.check(use, registry, report);
        };
    }

    /**
     * Builds the routes, binds every listen address and starts serving; logs one line containing
     * {@code listening on} and the addresses when ready.
     *
     * @throws StartupException when the configuration cannot run (its problems) or an address cannot be bound
     */
    public static ProxyServer start(ProxySettings settings, PluginRegistry registry) throws StartupException {
        long t0 = System.nanoTime();
        RouteAssembler.Assembly assembly = RouteAssembler.assemble(settings, registry);
        ProxyEngine engine = Guice.createInjector(new ProxyModule(settings, registry, assembly))
                .getInstance(ProxyEngine.class);
        List<InetSocketAddress> bound;
        try {
            bound = engine.bind();
        } catch (Exception e) {
            engine.shutdown(java.time.Duration.ZERO);
            assembly.closeLoggers();
            throw new StartupException(List.of(e.getMessage()), e);
        }
        String version = ProxyServer.class.getPackage().getImplementationVersion();
        long engineMillis = (System.nanoTime() - t0) / 1_000_000;
        long launchMillis = sinceLaunch();
        LOG.info("proxykit {} listening on {} ({} transport, {} worker{}, {} route{}, {}engine ready in {} ms)",
                version == null ? "dev" : version,
                bound.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(", ")),
                engine.transport().name(), settings.workers(), settings.workers() == 1 ? "" : "s",
                settings.routes().size(), settings.routes().size() == 1 ? "" : "s",
                launchMillis >= 0 ? "started in " + launchMillis + " ms, " : "", engineMillis);
        return new ProxyServer(settings, engine, assembly, bound);
    }

    /**
     * Milliseconds since {@code bin/proxykit} was launched (JVM start-up included), from the epoch milliseconds the
     * launcher puts in {@code PROXYKIT_LAUNCHED_AT_MS}; -1 when the proxy was not started by the launcher.
     */
    private static long sinceLaunch() {
        String at = System.getenv("PROXYKIT_LAUNCHED_AT_MS");
        if (at == null || !at.matches("\\d{1,18}")) {
            return -1;
        }
        return System.currentTimeMillis() - Long.parseLong(at);
    }

    /** The bound addresses, with real ports when the configuration asked for port 0. */
    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** The engine, for tests and embedders that need its details. */
    public ProxyEngine engine() {
        return engine;
    }

    /**
     * Ends the shutdown grace period of a {@link #close()} under way (or of the next one) now: exchanges still waiting
     * for a response get a 503, responses under way are cut off, as when the period runs out. Any thread; does not
     * block.
     */
    public void endGracePeriod() {
        engine.endGracePeriod();
    }

    /**
     * Stops accepting, lets in-flight exchanges finish within the configured grace period, then closes every
     * connection and releases the event loops. Blocks until done. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("proxykit stopping: no new connections; in-flight exchanges have {} to finish",
                settings.shutdownGracePeriod().toString().substring(2).toLowerCase(java.util.Locale.ROOT));
        engine.shutdown(settings.shutdownGracePeriod());
        assembly.closeLoggers();
        LOG.info("proxykit stopped");
    }
}
