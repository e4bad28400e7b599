package dev.proxykit.dist;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT stop the proxy gracefully and exit with status 0 (the JVM's own handling would exit with 143
 * or 130 without waiting for in-flight exchanges).
 *
 * <p>The handler starts a thread that calls {@link Running#stop()} (which lets in-flight exchanges finish within the
 * configured grace period) and then exits the JVM: 0, or 1 when something failed to close. A second signal while
 * stopping exits at once with status 1, without waiting. A shutdown hook stops everything too when the JVM exits
 * for another reason (SIGHUP, or where the signal handlers cannot be installed, such as under {@code -Xrs}). A
 * signal that was ignored when the JVM started stays ignored, as shells expect: SIGINT for a background job
 * ({@code proxykit &}) of a non-interactive shell, for example.
 *
 * <p>{@code sun.misc.Signal} is in the {@code jdk.unsupported} module, present and exported in every JDK 17+.
 */
final class GracefulStop {

    private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);

    private GracefulStop() {
    }

    /** Installs the handlers and the shutdown hook for {@code running}. Call once, before starting anything. */
    static void install(Running running) {
        SignalHandler handler = new SignalHandler() {
            private boolean signalled;

            @Override
            public synchronized void handle(Signal signal) {
                if (signalled) {
                    LOG.warn("SIG{} received again: exiting now, without waiting for in-flight requests",
                            signal.getName());
                    Runtime.getRuntime().halt(Main.EXIT_FAILURE);
                }
                signalled = true;
                Thread stopper = new Thread(() -> stopAndExit(running, signal), "proxykit-stop");
                stopper.start();
            }
        };
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), handler);
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} ({}): it will stop the proxy through the shutdown hook, with the JVM's "
                        + "exit status", name, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(running::stop, "proxykit-shutdown-hook"));
    }

    private static void stopAndExit(Running running, Signal signal) {
        LOG.info("SIG{} received: stopping; in-flight requests may finish within the grace period",
                signal.getName());
        boolean clean = running.stop();
        LOG.info("stopped");
        System.exit(clean ? Main.EXIT_OK : Main.EXIT_FAILURE);
    }
}
