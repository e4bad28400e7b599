package dev.proxykit.dist;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.recovery.ResilientFileOutputStream;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Turns logback's status messages about log files into lines a person reads. logback reports a file it cannot open
 * or write only to its status manager, which nobody sees in a running proxy, or, when a file cannot be opened at
 * start-up, as some 80 lines of status history on the console.
 *
 * <ul>
 *   <li>At start-up, {@link #unopened(LoggerContext)} lists the log files that could not be opened (a {@code logs}
 *       that is a file, a folder without write permission), one line each, for the launcher to refuse to start
 *       with, as nginx does ({@code open() "/var/log/nginx/access.log" failed (13: Permission denied)}): a proxy that
 *       runs without its access log loses every line of it.</li>
 *   <li>While running, a write that fails (a full disk) is logged as an ERROR on {@value #LOGGER} (the console and
 *       {@code proxykit.log}) with the file and the reason, once, then every five minutes while it lasts; lines of
 *       that file are lost until logback, retrying now and then, can write it again, which is logged too once
 *       writes have worked for ten seconds.</li>
 * </ul>
 *
 * <p>Installed as a status listener of the logging context, for the shipped set-up and an edited {@code logback.xml}
 * alike, which also stops logback from printing its status history at start-up: {@link #unopened} and
 * {@link #otherErrors} say what matters of it. {@code -Dlogback.debug=true} still prints it all.
 * Called on whatever thread adds a status (the asynchronous appenders' own threads, for writes): it logs through the
 * asynchronous appenders and so never blocks.
 */
final class LogFileWatch implements StatusListener {

    /** The logger of the lines about log files. */
    static final String LOGGER = "proxykit.logging";

    /** What logback's resilient file streams say when a write works again after a failure. */
    private static final String RECOVERED = "Recovered from IO failure";
    /** How long writes must work before a file is said to work again; how often that is checked. */
    static final long QUIET_MILLIS = 10_000;
    /** How often a file that still cannot be written is reported again. */
    static final long REMIND_MILLIS = 300_000;

    private final LoggerContext context;
    private final long quietMillis;
    /** The files that cannot be written now. */
    private final Map<File, Trouble> troubles = new ConcurrentHashMap<>();

    LogFileWatch(LoggerContext context, long quietMillis) {
        this.context = context;
        this.quietMillis = quietMillis;
    }

    /** Adds a watch to {@code context} unless it has one. */
    static void install(LoggerContext context) {
        synchronized (LogFileWatch.class) {
            for (StatusListener listener : context.getStatusManager().getCopyOfStatusListenerList()) {
                if (listener instanceof LogFileWatch) {
                    return;
                }
            }
            context.getStatusManager().add(new LogFileWatch(context, QUIET_MILLIS));
        }
    }

    @Override
    public void addStatusEvent(Status status) {
        if (!(status.getOrigin() instanceof ResilientFileOutputStream stream)) {
            return; // start-up problems are listed by unopened(); the rest is logback's own business
        }
        File file = stream.getFile();
        if (status.getLevel() == Status.ERROR) {
            Trouble trouble = troubles.computeIfAbsent(file, Trouble::new);
            trouble.failed(reason(status.getThrowable()));
        } else if (status.getMessage() != null && status.getMessage().startsWith(RECOVERED)) {
            Trouble trouble = troubles.get(file);
            if (trouble != null) {
                trouble.recovered();
            }
        }
    }

    @Override
    public boolean isResetResistant() {
        return true;
    }

    /**
     * One file that cannot be written: reported when it starts, again every {@value #REMIND_MILLIS} ms while it lasts,
     * and when writes have worked for {@code quietMillis} (a buffered write may "recover" just before its flush
     * fails again on a full disk: one line per failure would flood the console).
     */
    private final class Trouble {
        private final File file;
        private long failures;
        private long lastFailureMillis;
        private long lastReportMillis;
        private boolean recoveredSinceFailure;
        private boolean checking;

        Trouble(File file) {
            this.file = file;
        }

        synchronized void failed(String reason) {
            long now = System.currentTimeMillis();
            failures++;
            lastFailureMillis = now;
            recoveredSinceFailure = false;
            if (failures == 1) {
                lastReportMillis = now;
                context.getLogger(LOGGER).error("cannot write the log file {}: {}; its lines are lost until writing"
                        + " it works again (logback retries now and then)", file, reason);
            } else if (now - lastReportMillis >= REMIND_MILLIS) {
                lastReportMillis = now;
                context.getLogger(LOGGER).error("still cannot write the log file {}: {} ({} failed writes so far)",
                        file, reason, failures);
            }
            scheduleCheck();
        }

        synchronized void recovered() {
            recoveredSinceFailure = true;
            scheduleCheck();
        }

        private void scheduleCheck() {
            if (!checking) {
                checking = true;
                context.getScheduledExecutorService().schedule(this::check, quietMillis, TimeUnit.MILLISECONDS);
            }
        }

        private synchronized void check() {
            checking = false;
            if (recoveredSinceFailure && System.currentTimeMillis() - lastFailureMillis >= quietMillis) {
                troubles.remove(file, this);
                context.getLogger(LOGGER).warn("writing the log file {} works again; the lines logged while it failed"
                        + " are lost ({} failed writes)", file, failures);
            } else {
                scheduleCheck();
            }
        }
    }

    /**
     * The log files of {@code context} that could not be opened, as {@code cannot open the log file F: reason}, one
     * per file appender, in the order they were set up; empty when all opened.
     */
    static List<String> unopened(LoggerContext context) {
        Map<FileAppender<?>, String> problems = new LinkedHashMap<>();
        for (Status status : context.getStatusManager().getCopyOfStatusList()) {
            FileAppender<?> appender = unopenedFile(status);
            if (appender != null) {
                String line = "cannot open the log file " + appender.getFile() + ": "
                        + (status.getThrowable() != null ? reason(status.getThrowable()) : status.getMessage());
                if (status.getThrowable() != null || !problems.containsKey(appender)) {
                    problems.put(appender, line); // the failed open, with its cause, says it best
                }
            }
        }
        return new ArrayList<>(problems.values());
    }

    /**
     * The other errors logback reported while it set up {@code context} (an edited {@code logback.xml} that names a
     * class that does not exist, say), as {@code message: cause}, each once; the watch keeps logback from printing
     * them with its status history.
     */
    static List<String> otherErrors(LoggerContext context) {
        Set<String> lines = new LinkedHashSet<>();
        for (Status status : context.getStatusManager().getCopyOfStatusList()) {
            if (status.getLevel() == Status.ERROR && unopenedFile(status) == null
                    && !(status.getOrigin() instanceof ResilientFileOutputStream)) {
                lines.add(status.getMessage() + (status.getThrowable() == null ? ""
                        : ": " + status.getThrowable()));
            }
        }
        return new ArrayList<>(lines);
    }

    /** The file appender that {@code status} says could not open its file, or {@code null}. */
    private static FileAppender<?> unopenedFile(Status status) {
        return status.getLevel() == Status.ERROR && status.getOrigin() instanceof FileAppender<?> appender
                && !appender.isStarted() ? appender : null;
    }

    /** The operating system's reason in {@code e}: "Not a directory" from "/x/logs/a.log (Not a directory)". */
    static String reason(Throwable e) {
        if (e == null) {
            return "unknown error";
        }
        String message = e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        int open = message.lastIndexOf(" (");
        return open >= 0 && message.endsWith(")") ? message.substring(open + 2, message.length() - 1) : message;
    }
}
