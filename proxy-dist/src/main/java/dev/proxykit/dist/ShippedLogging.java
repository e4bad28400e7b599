package dev.proxykit.dist;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.hook.DefaultShutdownHook;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.OnConsoleStatusListener;
import ch.qos.logback.core.util.ContextUtil;
import ch.qos.logback.core.util.FileSize;
import ch.qos.logback.core.util.StatusListenerConfigHelper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The shipped {@code conf/logback.xml}, set up in code: the same appenders, files, patterns, rolling policies, levels
 * and shutdown hook, without logback's XML machinery (SAX, Joran's rules and model, bean introspection: about 0.15 s
 * of a start pinned to one core of this 2-core machine, a sixth of it).
 *
 * <p>logback finds this class through {@code ServiceLoader} and asks it before its own configurators. It acts only
 * when {@code -Dlogback.configurationFile} (which {@code bin/proxykit} always sets to {@code conf/logback.xml}) names a
 * file whose bytes are exactly those of the shipped file, a copy of which this JAR holds. Any other case is left to
 * logback, which then reads the file as its manual says: an edited {@code conf/logback.xml} is what runs, line for
 * line. {@code ShippedLoggingTest} keeps the two set-ups equal.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class ShippedLogging extends ContextAwareBase implements Configurator {

    /** The copy of {@code conf/logback.xml} in this JAR (the build copies the one file to both places). */
    static final String SHIPPED_COPY = "logback.xml";

    /** Whether the console is set up for a command whose standard output is its result; see {@link #forCommands()}. */
    private static volatile boolean forCommands;

    /** Creates the configurator; logback does, through {@code ServiceLoader}. */
    public ShippedLogging() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        return configure(context, System.getProperty(ClassicConstants.CONFIG_FILE_PROPERTY),
                System.getProperty("proxykit.home", "."));
    }

    /** {@link #configure(LoggerContext)} for the file {@code named} (may be null) and the installation {@code home}. */
    ExecutionStatus configure(LoggerContext context, String named, String home) {
        // before any file opens, the shipped set-up's or an edited file's: what goes wrong is said in lines, not in
        // logback's status history (see there)
        LogFileWatch.install(context);
        if (named == null || !isShipped(named)) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY; // an edited file: logback reads it
        }
        String debug = System.getProperty("logback.debug");
        if (debug != null && !debug.isBlank() && !debug.equalsIgnoreCase("false") && !debug.equalsIgnoreCase("null")) {
            // as logback does for a file: -Dlogback.debug=true prints its status messages
            StatusListenerConfigHelper.addOnConsoleListenerInstance(context, new OnConsoleStatusListener());
        }
        addInfo(named + " is the shipped logging configuration: set up in code by " + getClass().getName());
        apply(context, Path.of(home).resolve("logs").toString());
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * For {@code --check} and {@code --list-plugins}, whose standard output is their result (as {@code nginx -t}
     * keeps its own to standard error): the console then shows warnings and errors only, on standard error. Takes
     * effect when called before the first logger is created. The files are set up as always.
     */
    static void forCommands() {
        forCommands = true;
    }

    /**
     * Whether the file {@code named} holds exactly the shipped logging configuration; false for anything else logback
     * accepts there (a URL, a class-path resource), which logback then reads itself.
     */
    static boolean isShipped(String named) {
        try (InputStream shipped = ShippedLogging.class.getResourceAsStream(SHIPPED_COPY)) {
            Path file = Path.of(named);
            return shipped != null && Files.isRegularFile(file)
                    && Arrays.equals(shipped.readAllBytes(), Files.readAllBytes(file));
        } catch (IOException | InvalidPathException e) {
            return false; // unreadable here, or not a path: logback reads it itself and reports any problem
        }
    }

    /** Sets up {@code context} as the shipped {@code conf/logback.xml} does, with {@code ${LOG_DIR}} = {@code logDir}. */
    static void apply(LoggerContext context, String logDir) {
        DefaultShutdownHook hook = new DefaultShutdownHook();
        hook.setContext(context);
        new ContextUtil(context).addOrReplaceShutdownHook(hook);

        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("CONSOLE");
        console.setEncoder(encoder(context, "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n"));
        if (forCommands) {
            console.setTarget("System.err");
            ThresholdFilter warnings = new ThresholdFilter();
            warnings.setContext(context);
            warnings.setLevel("WARN");
            warnings.start();
            console.addFilter(warnings);
        }
        console.start();

        Appender<ILoggingEvent> file = rollingFile(context, "FILE", logDir, "proxykit", "50MB", "1GB",
                "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger - %msg%n");
        Appender<ILoggingEvent> accessFile = rollingFile(context, "ACCESS_FILE", logDir, "access", "100MB", "2GB",
                "%msg%n");

        AsyncAppender access = async(context, "ACCESS", 8192, accessFile);
        access.setDiscardingThreshold(0);
        access.start();
        AsyncAppender asyncConsole = async(context, "ASYNC_CONSOLE", 1024, console);
        asyncConsole.start();
        AsyncAppender asyncFile = async(context, "ASYNC_FILE", 1024, file);
        asyncFile.start();

        Logger accessLogger = context.getLogger("proxykit.access");
        accessLogger.setLevel(Level.INFO);
        accessLogger.setAdditive(false);
        accessLogger.addAppender(access);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("proxykit.prepare").setLevel(Level.OFF);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(asyncConsole);
        root.addAppender(asyncFile);
    }

    /**
     * An appender that hands each line to {@code target} on its own thread and never blocks the logging thread (an
     * event loop, say): with the queue full, the line is dropped. Not started, so that a setting may still change.
     */
    private static AsyncAppender async(LoggerContext context, String name, int queueSize,
                                       Appender<ILoggingEvent> target) {
        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName(name);
        async.setQueueSize(queueSize);
        async.setNeverBlock(true);
        async.setIncludeCallerData(false);
        async.addAppender(target);
        return async;
    }

    private static Appender<ILoggingEvent> rollingFile(LoggerContext context, String name, String logDir, String base,
                                                       String maxFileSize, String totalSizeCap, String pattern) {
        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setFile(logDir + "/" + base + ".log");
        SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(context);
        policy.setFileNamePattern(logDir + "/" + base + ".%d{yyyy-MM-dd}.%i.log.gz");
        policy.setMaxFileSize(FileSize.valueOf(maxFileSize));
        policy.setMaxHistory(14);
        policy.setTotalSizeCap(FileSize.valueOf(totalSizeCap));
        policy.setParent(appender);
        appender.setRollingPolicy(policy);
        policy.start();
        appender.setEncoder(encoder(context, pattern));
        appender.start();
        return appender;
    }

    private static PatternLayoutEncoder encoder(LoggerContext context, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        return encoder;
    }
}
