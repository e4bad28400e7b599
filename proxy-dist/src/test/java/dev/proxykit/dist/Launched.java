package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/proxykit} run as a real process from an unpacked installation, its stdout and stderr going to files.
 * Every wait is bounded; {@link #close()} kills the process if it still runs.
 */
final class Launched implements AutoCloseable {

    /** Bound for a command to finish or a server to start: generous, since the machine may be slow. */
    static final Duration PATIENCE = Duration.ofSeconds(120);

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final String command;

    private Launched(Process process, Path stdout, Path stderr, String command) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.command = command;
    }

    /**
     * Starts {@code <home>/bin/proxykit args...} in {@code home}, with this JVM's Java as {@code JAVA_HOME} and
     * {@code javaOpts} as {@code JAVA_OPTS} (empty for none).
     */
    static Launched start(Path home, String javaOpts, String... args) throws IOException {
        return start(home, Map.of(), javaOpts, args);
    }

    /** As {@link #start(Path, String, String...)}, with {@code env} added to the environment. */
    static Launched start(Path home, Map<String, String> extraEnv, String javaOpts, String... args)
            throws IOException {
        List<String> commandLine = new ArrayList<>();
        commandLine.add(home.resolve("bin/proxykit").toString());
        commandLine.addAll(List.of(args));
        return start(home, extraEnv, javaOpts, commandLine);
    }

    /**
     * As {@link #start(Path, String, String...)}, with the process's limit of open files (soft and hard, so that the
     * JVM cannot raise it) set to {@code openFiles} first, by the shell's {@code ulimit -n}.
     */
    static Launched startWithOpenFilesLimit(Path home, int openFiles, String javaOpts, String... args)
            throws IOException {
        List<String> commandLine = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + openFiles + " && exec \"$0\" \"$@\"",
                home.resolve("bin/proxykit").toString()));
        commandLine.addAll(List.of(args));
        return start(home, Map.of(), javaOpts, commandLine);
    }

    private static Launched start(Path home, Map<String, String> extraEnv, String javaOpts, List<String> commandLine)
            throws IOException {
        Path output = Files.createTempDirectory(home, "run-");
        ProcessBuilder builder = builder(home, extraEnv, javaOpts, commandLine)
                .redirectOutput(output.resolve("stdout").toFile())
                .redirectError(output.resolve("stderr").toFile());
        return new Launched(builder.start(), output.resolve("stdout"), output.resolve("stderr"),
                String.join(" ", commandLine));
    }

    /**
     * {@code commandLine} to run in {@code home} with this JVM's Java as {@code JAVA_HOME}, {@code javaOpts} as
     * {@code JAVA_OPTS} (empty for none), no {@code PROXYKIT_HEAP} and {@code extraEnv} added; output not redirected,
     * for a test that reads it through pipes.
     */
    static ProcessBuilder builder(Path home, Map<String, String> extraEnv, String javaOpts, List<String> commandLine) {
        ProcessBuilder builder = new ProcessBuilder(commandLine).directory(home.toFile());
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("PROXYKIT_HEAP");
        env.remove("JAVA_OPTS");
        if (!javaOpts.isEmpty()) {
            env.put("JAVA_OPTS", javaOpts);
        }
        env.putAll(extraEnv);
        return builder;
    }

    /** Runs a command that ends by itself, and returns it finished. */
    static Launched run(Path home, String... args) throws IOException {
        Launched launched = start(home, "", args);
        launched.awaitExit();
        return launched;
    }

    /** Sends {@code signal} ("USR1", "HUP") with kill(1), without waiting. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            fail("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Sends SIGTERM ({@link Process#destroy()}) without waiting. */
    void signal() {
        process.destroy();
    }

    /** Waits (bounded by {@link #PATIENCE}) for the process to end and returns its exit status. */
    int awaitExit() {
        try {
            if (!process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                fail(command + " still running after " + PATIENCE + "; output:\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted waiting for " + command);
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status; the process must have ended. */
    int exitValue() {
        return process.exitValue();
    }

    /**
     * Waits (bounded by {@link #PATIENCE}) until stdout contains {@code text}; fails at once if the process ends
     * first.
     */
    void awaitStdout(String text) throws IOException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!stdout().contains(text)) {
            if (!process.isAlive()) {
                fail(command + " exited with " + process.exitValue() + " before printing '" + text + "':\n"
                        + describe());
            }
            if (System.nanoTime() > deadline) {
                fail(command + " did not print '" + text + "' within " + PATIENCE + ":\n" + describe());
            }
            sleep(100);
        }
    }

    /**
     * The running process's command line, from {@code /proc} (Linux): {@code bin/proxykit} replaces itself with the
     * JVM ({@code exec}), so these are the JVM's arguments.
     */
    List<String> commandLine() throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
        return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
    }

    /** Sends SIGTERM ({@link Process#destroy()}) and waits, bounded, for the exit status. */
    int terminate() {
        signal();
        return awaitExit();
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** The stdout lines. */
    List<String> stdoutLines() throws IOException {
        return stdout().lines().toList();
    }

    /** The stderr lines. */
    List<String> stderrLines() throws IOException {
        return stderr().lines().toList();
    }

    /** Command, stdout and stderr, for failure messages. */
    String describe() {
        try {
            return "$ " + command + "\n--- stdout\n" + stdout() + "--- stderr\n" + stderr();
        } catch (IOException e) {
            return "$ " + command + " (output unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
