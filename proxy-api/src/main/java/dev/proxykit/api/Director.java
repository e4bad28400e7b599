package dev.proxykit.api;

/**
 * Rewrites the outbound request head for the chosen upstream, like the {@code Director} of Go's
 * {@code httputil.ReverseProxy}.
 *
 * <p>A route has a chain of directors, applied in configured order to the same {@link ProxyRequest}; each sees what
 * the previous ones left. Directors run after hop-by-hop headers were removed, so a client cannot strip a header a
 * director adds by naming it in {@code Connection}.
 *
 * <p><b>Threads.</b> Called on an event loop, concurrently for different exchanges: implementations must be
 * thread-safe (typically immutable) and must never block (no I/O, no locks, no DNS). Anything slow belongs in
 * {@link DirectorFactory#create(PluginContext)}.
 *
 * <p><b>Failure.</b> An exception thrown here fails the exchange with 500 and is logged once with the route.
 */
@FunctionalInterface
public interface Director {

    /** Rewrites {@code request} in place. */
    void direct(ProxyRequest request);
}
