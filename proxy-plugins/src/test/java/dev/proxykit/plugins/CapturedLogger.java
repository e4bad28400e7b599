package dev.proxykit.plugins;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/** A logback logger with a fresh name whose events are kept in memory, not printed. Close it after the test. */
final class CapturedLogger implements AutoCloseable {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    CapturedLogger() {
        logger = (Logger) LoggerFactory.getLogger("test.access." + SEQUENCE.incrementAndGet());
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
    }

    String name() {
        return logger.getName();
    }

    void setLevel(Level level) {
        logger.setLevel(level);
    }

    List<ILoggingEvent> events() {
        return appender.list;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
