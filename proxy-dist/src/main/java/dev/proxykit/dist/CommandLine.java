package dev.proxykit.dist;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The parsed command line of {@code bin/proxykit}. This is a public contract driven by scripts and tests: options
 * may be added, none renamed.
 *
 * @param config      {@code --config FILE} ({@code -c FILE}, {@code --config=FILE}), or {@code null} for
 *                    {@code <home>/conf/proxykit.conf}
 * @param check       {@code --check}
 * @param demo        {@code --demo}
 * @param listPlugins {@code --list-plugins}
 * @param help        {@code --help} or {@code -h}
 * @param version     {@code --version}
 * @param prepare     {@code --prepare}
 */
record CommandLine(Path config, boolean check, boolean demo, boolean listPlugins, boolean help, boolean version,
        boolean prepare) {

    /** Every option, as {@code --help} prints it. */
    static final String OPTIONS = String.join(System.lineSeparator(),
            "  -c, --config FILE   read FILE instead of the configuration file below",
            "      --check         validate the configuration and the plugins it uses, print the result and exit:",
            "                      0 when it can run, 2 with every problem (key, file:line, what was expected)",
            "      --demo          start two echo upstreams on 127.0.0.1:9292 and 127.0.0.1:9293 and the proxy on",
            "                      127.0.0.1:3000, round-robin across them; a --config file overrides the demo's settings",
            "      --list-plugins  list the plugins found (name, kind, version, source, description) and exit",
            "      --prepare       run the proxy briefly on loopback ports with its configuration and plugins, so",
            "                      that the JVM records the class-data archive that makes later starts fast; exit",
            "  -h, --help          print this help and exit",
            "      --version       print the version and exit");

    /**
     * Parses the arguments of {@code main}.
     *
     * @throws UsageException for an unknown option, a missing or repeated {@code --config} value, or an argument
     *                        that is not an option
     */
    static CommandLine parse(String... args) throws UsageException {
        Path config = null;
        boolean check = false;
        boolean demo = false;
        boolean listPlugins = false;
        boolean help = false;
        boolean version = false;
        boolean prepare = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String configValue = null;
            switch (arg) {
                case "-c":
                case "--config":
                    if (i + 1 >= args.length || args[i + 1].isEmpty()) {
                        throw new UsageException(arg + ": missing value (expected: " + arg + " FILE)");
                    }
                    configValue = args[++i];
                    break;
                case "--check":
                    check = true;
                    break;
                case "--demo":
                    demo = true;
                    break;
                case "--list-plugins":
                    listPlugins = true;
                    break;
                case "-h":
                case "--help":
                    help = true;
                    break;
                case "--version":
                    version = true;
                    break;
                case "--prepare":
                    prepare = true;
                    break;
                default:
                    if (arg.startsWith("--config=")) {
                        configValue = arg.substring("--config=".length());
                        if (configValue.isEmpty()) {
                            throw new UsageException(arg + ": missing value (expected: --config=FILE)");
                        }
                    } else if (arg.startsWith("-")) {
                        throw new UsageException("unknown option: " + arg);
                    } else {
                        throw new UsageException("unexpected argument: " + arg + " (expected: options only)");
                    }
            }
            if (configValue != null) {
                if (config != null) {
                    throw new UsageException("--config given twice: " + config + " and " + configValue
                            + " (expected: at most one)");
                }
                config = toPath(configValue);
            }
        }
        if (prepare && (check || demo || listPlugins)) {
            String other = check ? "--check" : demo ? "--demo" : "--list-plugins";
            throw new UsageException("--prepare cannot be combined with " + other
                    + " (expected: --prepare [--config FILE])");
        }
        if (check && listPlugins) {
            // each ends the run with its own answer: one would be ignored
            throw new UsageException("--check cannot be combined with --list-plugins (expected: one of them)");
        }
        return new CommandLine(config, check, demo, listPlugins, help, version, prepare);
    }

    private static Path toPath(String value) throws UsageException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException("--config: " + value + ": not a valid path (" + e.getReason() + ")");
        }
    }

    /** A command line that cannot be run: {@code bin/proxykit} prints the message and the usage, and exits 2. */
    static final class UsageException extends Exception {

        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
