package dev.proxykit.api;

/**
 * Receives one {@link AccessRecord} per finished exchange, successful or not, including exchanges that failed
 * before an upstream was chosen and clients that went away (status 499).
 *
 * <p><b>Threads.</b> {@link #log(AccessRecord)} is called on the event loop that served the exchange, concurrently
 * from several loops. It must be thread-safe and must not block: format quickly and hand the line off (the
 * built-in loggers write through SLF4J, whose asynchronous appender does the I/O on its own thread). A logger that
 * throws loses that record; the exchange is not affected.
 */
@FunctionalInterface
public interface AccessLogger {

    /** Records one finished exchange. The record is immutable and may be kept. */
    void log(AccessRecord record);

    /**
     * Whether {@link #log(AccessRecord)} would record anything now. When it answers {@code false} the proxy does not
     * build the record (a few hundred bytes and a dozen header lookups per request) and does not call {@code log}.
     * Called on the event loops for every exchange, like {@code log}: must be cheap and thread-safe. The answer may
     * change at run time (a logging level turned on); the default is {@code true}.
     */
    default boolean isEnabled() {
        return true;
    }

    /** Flushes and releases resources at shutdown, after the last {@link #log(AccessRecord)}. May block. */
    default void close() {
    }
}
