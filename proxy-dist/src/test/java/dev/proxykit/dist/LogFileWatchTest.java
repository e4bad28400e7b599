package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.recovery.ResilientFileOutputStream;
import ch.qos.logback.core.status.Status;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LogFileWatch} on the shipped logging set-up, with log files that cannot be opened or written. */
class LogFileWatchTest {

    @TempDir
    Path home;

    private final LoggerContext context = new LoggerContext();

    LogFileWatchTest() {
        context.setMDCAdapter(new LogbackMDCAdapter()); // as logback's SLF4J provider does
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void logFilesThatCannotBeOpenedAreListedOneLineEach() throws Exception {
        Path logs = Files.writeString(home.resolve("logs"), "a file where the folder should be");
        LogFileWatch.install(context);
        ShippedLogging.apply(context, logs.toString());

        assertEquals(List.of("cannot open the log file " + logs + "/proxykit.log: Not a directory",
                "cannot open the log file " + logs + "/access.log: Not a directory"), LogFileWatch.unopened(context));
        assertEquals(1, context.getStatusManager().getCopyOfStatusListenerList().size(),
                "installed once, which also keeps logback from printing its status history");
        LogFileWatch.install(context);
        assertEquals(1, context.getStatusManager().getCopyOfStatusListenerList().size());
    }

    @Test
    void openLogFilesListNothing() {
        LogFileWatch.install(context);
        ShippedLogging.apply(context, home.resolve("logs").toString());
        assertEquals(List.of(), LogFileWatch.unopened(context));
    }

    /**
     * Failures as logback's file stream reports them (a failed write posts them, as on a full disk; /dev/full cannot
     * stand in for one here: the rolling policy rolls the file over at once, by its old modification time), and its
     * own recovery when a write works again.
     */
    @Test
    void aLogFileThatCannotBeWrittenIsReportedOnceAndWhenWritesHaveWorkedForAWhile() throws Exception {
        File file = home.resolve("access.log").toFile();
        context.getStatusManager().add(new LogFileWatch(context, 300));
        ListAppender<ILoggingEvent> said = new ListAppender<>();
        said.setContext(context);
        said.start();
        context.getLogger(LogFileWatch.LOGGER).addAppender(said);
        ResilientFileOutputStream out = new ResilientFileOutputStream(file, true, 8192);
        out.setContext(context);
        out.write(line("before"));
        out.flush();

        for (int i = 0; i < 3; i++) {
            out.postIOFailure(new IOException("No space left on device"));
        }
        assertEquals(List.of("ERROR cannot write the log file " + file + ": No space left on device; its lines are"
                + " lost until writing it works again (logback retries now and then)"), lines(said));

        writeUntilRecovered(out);
        out.postIOFailure(new IOException("No space left on device")); // a buffered write "recovered", its flush not
        writeUntilRecovered(out);
        assertEquals(1, lines(said).size(), "a recovery that does not last says nothing: " + lines(said));

        for (int i = 0; i < 300 && lines(said).size() < 2; i++) {
            out.write(line("after " + i));
            out.flush();
            Thread.sleep(10);
        }
        List<String> lines = lines(said);
        assertEquals(List.of(lines.get(0), "WARN writing the log file " + file + " works again; the lines logged while it"
                + " failed are lost (4 failed writes)"), lines);
        assertTrue(Files.readString(file.toPath()).contains("after "));
    }

    private static void writeUntilRecovered(ResilientFileOutputStream out) throws Exception {
        for (int i = 0; i < 500; i++) {
            int before = statuses(out);
            out.write(line("retry " + i));
            if (statuses(out) > before && lastStatus(out).startsWith("Recovered from IO failure")) {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("logback's stream did not recover");
    }

    private static int statuses(ResilientFileOutputStream out) {
        return out.getContext().getStatusManager().getCount();
    }

    private static String lastStatus(ResilientFileOutputStream out) {
        List<Status> all = out.getContext().getStatusManager().getCopyOfStatusList();
        return all.get(all.size() - 1).getMessage();
    }

    private static byte[] line(String text) {
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> lines(ListAppender<ILoggingEvent> appender) {
        List<ILoggingEvent> events;
        synchronized (appender) { // AppenderBase appends under this lock
            events = List.copyOf(appender.list);
        }
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : events) {
            lines.add((e.getLevel() == Level.ERROR ? "ERROR " : e.getLevel() + " ") + e.getFormattedMessage());
        }
        return lines;
    }
}
