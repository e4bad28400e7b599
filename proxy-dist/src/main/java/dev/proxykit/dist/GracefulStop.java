package dev.proxykit.dist;

import java.io.PrintStream;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT stop the proxy gracefully and exit with status 0 (the JVM's own handling would exit with 143
 * or 130 without waiting for in-flight exchanges).
 *
 * <p>The handler starts a thread that calls {@link Running#stop()} (which lets in-flight exchanges finish within the
 * configured grace period) and then exits the JVM: 0, or 1 when something failed to close. A second signal ends the
 * grace period at once (as when it runs out: 503 for requests still waiting, responses under way cut off, each
 * logged), and the stop goes on to exit 0; a third exits at once with status 1, for a stop that does not end. A
 * shutdown hook stops everything too when the JVM exits for another reason (SIGHUP, or where the signal handlers
 * cannot be installed, such as under {@code -Xrs}). A signal that was ignored when the JVM started stays ignored, as
 * shells expect: SIGINT for a background job ({@code proxykit &}) of a non-interactive shell, for example.
 *
 * <p>{@code sun.misc.Signal} is in the {@code jdk.unsupported} module, present and exported in every JDK 17+.
 */
final class GracefulStop {

    private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);

    private GracefulStop() {
    }

    /**
     * Until {@link #install} replaces them, while the configuration and the plugins load: SIGTERM or SIGINT stops
     * start-up with a line on {@code err} and exit status 0, as a stop while serving does (the JVM's own handling
     * exits 143 or 130 without a word). Nothing is listening or in flight yet: there is nothing to wait for.
     */
    static void installForStartUp(PrintStream err) {
        SignalHandler handler = signal -> {
            err.println("proxykit: SIG" + signal.getName() + " received while starting: stopped before listening");
            err.flush();
            System.exit(Main.EXIT_OK);
        };
        handle(handler, (name, why) -> { }, "TERM", "INT"); // install() reports a refusal, when start-up gets there
    }

    /**
     * Sets {@code handler} for each signal {@code names}; one the JVM will not let go of (under {@code -Xrs}, say) is
     * given to {@code refused} with the reason.
     */
    static void handle(SignalHandler handler, BiConsumer<String, String> refused, String... names) {
        for (String name : names) {
            try {
                Signal.handle(new Signal(name), handler);
            } catch (IllegalArgumentException e) {
                refused.accept(name, e.getMessage());
            }
        }
    }

    /** Installs the handlers and the shutdown hook for {@code running}. Call once, before starting anything. */
    static void install(Running running) {
        SignalHandler handler = new SignalHandler() {
            private int signals;

            @Override
            public synchronized void handle(Signal signal) {
                signals++;
                if (signals == 2) {
                    LOG.warn("SIG{} received again: ending the grace period now; requests still waiting for a response"
                            + " get 503, responses under way are cut off (a third signal exits at once)",
                            signal.getName());
                    running.endGracePeriod();
                    return;
                }
                if (signals > 2) {
                    LOG.warn("SIG{} received a third time: exiting now, with status 1", signal.getName());
                    Runtime.getRuntime().halt(Main.EXIT_FAILURE);
                }
                Thread stopper = new Thread(() -> stopAndExit(running, signal), "proxykit-stop");
                stopper.start();
            }
        };
        handle(handler, (name, why) -> LOG.warn("cannot handle SIG{} ({}): it will stop the proxy through the shutdown"
                + " hook, with the JVM's exit status", name, why), "TERM", "INT");
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
