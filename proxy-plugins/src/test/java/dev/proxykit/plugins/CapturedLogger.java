package dev.proxykit.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
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

    /**
     * Asserts that the logger {@code create} builds for {@code logger = NAME} logs each record once, at INFO, to
     * logger NAME, as the line {@code format} makes of it.
     */
    static void assertLogsEachRecordAsOneInfoLine(Function<String, AccessLogger> create,
            Function<AccessRecord, String> format) {
        try (CapturedLogger captured = new CapturedLogger()) {
            AccessLogger logger = create.apply("logger = \"" + captured.name() + "\"");
            AccessRecord first = AccessRecords.sample().build();
            AccessRecord second = AccessRecords.empty().build();
            logger.log(first);
            logger.log(second);
            assertEquals(2, captured.events().size());
            for (int i = 0; i < 2; i++) {
                ILoggingEvent event = captured.events().get(i);
                assertEquals(Level.INFO, event.getLevel());
                assertEquals(captured.name(), event.getLoggerName());
                assertEquals(format.apply(i == 0 ? first : second), event.getFormattedMessage());
            }
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
