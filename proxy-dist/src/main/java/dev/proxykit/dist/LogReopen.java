package dev.proxykit.dist;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import ch.qos.logback.core.spi.AppenderAttachable;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGUSR1 and SIGHUP reopen the log files, as nginx reopens its logs on USR1 (and Envoy its access logs): once
 * logrotate, or a person, has moved a file away, lines go to a new file at the configured path instead of on into the
 * moved one. SIGHUP, nginx's reload, also says that the configuration is not reloaded. Not handled, USR1 ended the JVM
 * at once (status 138) and HUP through the shutdown hooks (status 129), losing the access-log lines of the requests
 * in flight.
 */
final class LogReopen {

    private LogReopen() {
    }

    /** Installs the handlers; a signal ignored when the JVM started stays ignored. */
    static void install() {
        GracefulStop.handle(LogReopen::onSignal, (name, why) -> LoggerFactory.getLogger(LogFileWatch.LOGGER)
                .warn("cannot handle SIG{} ({}): it will not reopen the log files", name, why), "USR1", "HUP");
    }

    private static void onSignal(Signal signal) {
        org.slf4j.Logger log = LoggerFactory.getLogger(LogFileWatch.LOGGER);
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            log.warn("SIG{} received: the logging backend is not logback; nothing reopened", signal.getName());
            return;
        }
        List<String> reopened = reopen(context, (file, e) -> log.error("SIG{} received: cannot reopen the log file {}:"
                + " {}; its lines are lost until it can be written", signal.getName(), file, LogFileWatch.reason(e)));
        String hup = signal.getName().equals("HUP")
                ? "; the configuration is not reloaded (restart proxykit to apply changes)" : "";
        log.info("SIG{} received: log files reopened: {}{}", signal.getName(),
                reopened.isEmpty() ? "none" : String.join(", ", reopened), hup);
    }

    /**
     * Reopens every file appender of {@code context} at its configured path; returns the files reopened, and gives
     * each that could not be to {@code failed}. A rolling appender's size count starts again from the file it now
     * writes (else it would go on from the moved file's size and roll the new one early).
     */
    static List<String> reopen(LoggerContext context, BiConsumer<String, IOException> failed) {
        List<String> reopened = new ArrayList<>();
        for (FileAppender<?> appender : fileAppenders(context)) {
            String file = appender.getFile();
            try {
                appender.openFile(file);
                if (appender instanceof RollingFileAppender<?> rolling
                        && rolling.getRollingPolicy() instanceof TimeBasedRollingPolicy<?> policy
                        && policy.getLengthCounter() != null) {
                    policy.getLengthCounter().reset();
                    policy.getLengthCounter().add(new File(file).length());
                }
                reopened.add(file);
            } catch (IOException e) {
                failed.accept(file, e);
            }
        }
        return reopened;
    }

    /** The started file appenders of {@code context}, behind asynchronous appenders too, each once. */
    static List<FileAppender<?>> fileAppenders(LoggerContext context) {
        Set<FileAppender<?>> found = new LinkedHashSet<>();
        for (Logger logger : context.getLoggerList()) {
            collect(logger.iteratorForAppenders(), found);
        }
        return new ArrayList<>(found);
    }

    private static void collect(Iterator<Appender<ILoggingEvent>> appenders, Set<FileAppender<?>> found) {
        while (appenders.hasNext()) {
            Appender<ILoggingEvent> appender = appenders.next();
            if (appender instanceof FileAppender<?> file && file.isStarted()) {
                found.add(file);
            } else if (appender instanceof AppenderAttachable<?>) {
                @SuppressWarnings("unchecked")
                AppenderAttachable<ILoggingEvent> attachable = (AppenderAttachable<ILoggingEvent>) appender;
                collect(attachable.iteratorForAppenders(), found);
            }
        }
    }
}
