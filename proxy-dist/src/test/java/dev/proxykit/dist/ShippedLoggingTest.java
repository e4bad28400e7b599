package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.pattern.PatternLayoutEncoderBase;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.RollingPolicyBase;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import ch.qos.logback.core.status.Status;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ShippedLogging} against the shipped {@code conf/logback.xml} read by logback's own XML configurator. */
class ShippedLoggingTest {

    private static final Path SHIPPED = Path.of("src/dist/conf/logback.xml");

    @TempDir
    Path home;

    private final List<LoggerContext> contexts = new ArrayList<>();

    @AfterEach
    void stopContexts() {
        contexts.forEach(LoggerContext::stop);
    }

    @Test
    void setsUpWhatTheShippedXmlSetsUp() throws Exception {
        LoggerContext fromXml = context();
        fromXml.putProperty("proxykit.home", home.toString());
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(fromXml);
        joran.doConfigure(SHIPPED.toFile());
        assertNoErrors(fromXml);

        LoggerContext inCode = context();
        assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY,
                configurator(inCode).configure(inCode, SHIPPED.toString(), home.toString()));
        assertNoErrors(inCode);

        String expected = describe(fromXml);
        for (String part : List.of("proxykit.access level=INFO additive=false", "io.netty level=WARN",
                "proxykit.prepare level=OFF", home.resolve("logs/access.log").toString(), "neverBlock=true",
                "access.%d{yyyy-MM-dd}.%i.log.gz", "maxFileSize=100 MB", "totalSizeCap=1 GB", "maxHistory=14",
                "%-5level [%thread] %logger{30} - %msg%n", "shutdownHook=true",
                "AsyncAppender ASYNC_CONSOLE started=true queueSize=1024 discardingThreshold=204 neverBlock=true",
                "AsyncAppender ASYNC_FILE started=true queueSize=1024 discardingThreshold=204 neverBlock=true")) {
            assertTrue(expected.contains(part), part + " in\n" + expected);
        }
        assertEquals(expected, describe(inCode));
    }

    @Test
    void leavesAnEditedFileToLogback() throws Exception {
        Path edited = Files.writeString(home.resolve("logback.xml"),
                Files.readString(SHIPPED).replace("<maxHistory>14</maxHistory>", "<maxHistory>30</maxHistory>"));
        LoggerContext context = context();

        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY,
                configurator(context).configure(context, edited.toString(), home.toString()));
        assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext(), "set up nothing");
    }

    @Test
    void leavesAMissingOrUnnamedFileToLogback() {
        LoggerContext context = context();
        ShippedLogging configurator = configurator(context);

        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY,
                configurator.configure(context, home.resolve("absent.xml").toString(), home.toString()));
        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context, null, home.toString()));
        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context, "bad\0path", home.toString()),
                "not a path (logback also takes URLs and resources there)");
        assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context, home.toString(),
                home.toString()), "a folder");
        assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext(), "set up nothing");
    }

    private LoggerContext context() {
        LoggerContext context = new LoggerContext();
        contexts.add(context);
        return context;
    }

    private static ShippedLogging configurator(LoggerContext context) {
        ShippedLogging configurator = new ShippedLogging();
        configurator.setContext(context);
        return configurator;
    }

    private static void assertNoErrors(LoggerContext context) {
        for (Status status : context.getStatusManager().getCopyOfStatusList()) {
            assertTrue(status.getLevel() < Status.WARN, status.toString());
        }
    }

    /** Every logger with a level or an appender, each appender with its settings, sorted: equal set-ups, equal text. */
    private static String describe(LoggerContext context) throws ReflectiveOperationException {
        TreeMap<String, String> loggers = new TreeMap<>();
        for (Logger logger : context.getLoggerList()) {
            StringBuilder line = new StringBuilder(logger.getName()).append(" level=").append(logger.getLevel())
                    .append(" additive=").append(logger.isAdditive());
            boolean any = logger.getLevel() != null;
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); any = true) {
                line.append("\n  ").append(describe(it.next(), "  "));
            }
            if (any) {
                loggers.put(logger.getName(), line.toString());
            }
        }
        return String.join("\n", loggers.values()) + "\nshutdownHook="
                + (context.getObject(CoreConstants.SHUTDOWN_HOOK_THREAD) instanceof Thread);
    }

    private static String describe(Appender<ILoggingEvent> appender, String indent)
            throws ReflectiveOperationException {
        StringBuilder text = new StringBuilder(appender.getClass().getName()).append(' ').append(appender.getName())
                .append(" started=").append(appender.isStarted());
        if (appender instanceof OutputStreamAppender<ILoggingEvent> out) {
            text.append(" immediateFlush=").append(out.isImmediateFlush()).append(' ').append(describe(out.getEncoder()));
        }
        if (appender instanceof RollingFileAppender<ILoggingEvent> file) {
            text.append(" file=").append(file.getFile()).append(" append=").append(file.isAppend())
                    .append(" prudent=").append(file.isPrudent());
            RollingPolicyBase policy = (RollingPolicyBase) file.getRollingPolicy();
            text.append("\n").append(indent).append("  ").append(policy.getClass().getName())
                    .append(" fileNamePattern=").append(policy.getFileNamePattern())
                    .append(" compression=").append(policy.getCompressionMode())
                    .append(" started=").append(policy.isStarted())
                    .append(" triggering=").append(file.getTriggeringPolicy() == policy);
            if (policy instanceof TimeBasedRollingPolicy<?> timeBased) {
                text.append(" maxHistory=").append(timeBased.getMaxHistory())
                        .append(" cleanHistoryOnStart=").append(timeBased.isCleanHistoryOnStart())
                        .append(" totalSizeCap=").append(field(timeBased, "totalSizeCap"))
                        .append(" maxFileSize=").append(field(timeBased, "maxFileSize"));
            }
        }
        if (appender instanceof AsyncAppender async) {
            text.append(" queueSize=").append(async.getQueueSize())
                    .append(" discardingThreshold=").append(async.getDiscardingThreshold())
                    .append(" neverBlock=").append(async.isNeverBlock())
                    .append(" includeCallerData=").append(async.isIncludeCallerData());
            for (Iterator<Appender<ILoggingEvent>> it = async.iteratorForAppenders(); it.hasNext(); ) {
                text.append("\n").append(indent).append("  ").append(describe(it.next(), indent + "  "));
            }
        }
        return text.toString();
    }

    private static String describe(Encoder<ILoggingEvent> encoder) {
        PatternLayoutEncoderBase<ILoggingEvent> pattern = (PatternLayoutEncoderBase<ILoggingEvent>) encoder;
        return pattern.getClass().getName() + " pattern=" + pattern.getPattern() + " charset=" + pattern.getCharset()
                + " started=" + pattern.isStarted();
    }

    /** A setting with no getter, by the name of its field in the class or a superclass. */
    private static Object field(Object target, String name) throws ReflectiveOperationException {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (field.getName().equals(name)) {
                    field.setAccessible(true);
                    return field.get(target);
                }
            }
        }
        throw new NoSuchFieldException(name + " in " + target.getClass());
    }
}
