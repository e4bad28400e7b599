package dev.proxykit.plugins;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.PluginContext;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An access logger that formats each record as one line and logs it at INFO to an SLF4J logger; the SLF4J backend
 * (an asynchronous appender in the distribution) does the I/O. Thread-safe when the format is.
 */
final class LineAccessLogger implements AccessLogger {

    private static final Set<String> KEYS = Set.of("logger");

    private final Logger logger;
    private final Function<AccessRecord, String> format;

    LineAccessLogger(Logger logger, Function<AccessRecord, String> format) {
        this.logger = logger;
        this.format = format;
    }

    /**
     * Reads the {@code logger} setting shared by the line loggers and builds one. Called from a factory's
     * {@code create}, off the event loops.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a blank logger name
     */
    static LineAccessLogger create(PluginContext context, Function<AccessRecord, String> format) {
        Settings.checkKeys(context, KEYS);
        String expected = "the name of an SLF4J logger, such as \"proxykit.access\"";
        String name = Settings.string(context, "logger", expected);
        if (name.isBlank()) {
            throw context.invalid("logger", expected + " (found: a blank name)");
        }
        return new LineAccessLogger(LoggerFactory.getLogger(name), format);
    }

    /** The logger the lines go to. */
    Logger logger() {
        return logger;
    }

    /** Whether the logger's INFO level is on (the distribution turns {@code proxykit.access} off with OFF). */
    @Override
    public boolean isEnabled() {
        return logger.isInfoEnabled();
    }

    @Override
    public void log(AccessRecord record) {
        if (logger.isInfoEnabled()) {
            logger.info("{}", format.apply(record));
        }
    }
}
