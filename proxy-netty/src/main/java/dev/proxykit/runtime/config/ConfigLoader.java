package dev.proxykit.runtime.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Reads and validates the configuration into {@link ProxySettings}: defaults from {@code reference.conf}, then the
 * user's file, then {@code overrides} (usually {@code -Dproxykit.*} system properties). Unknown keys, bad values and
 * bad upstream URLs are all reported at once, each with its key, file and line; given a {@link PluginCheck}, so are
 * the problems of the plugins the configuration names, when it has problems of its own (when it has none, the caller
 * goes on to build the plugins, which reports theirs).
 *
 * <p>The defaults are proxy-netty's own {@code reference.conf} only, not every {@code reference.conf} on the class
 * path: plugins keep their defaults (under {@code proxykit.plugins.<name>}) in their own {@code reference.conf},
 * which the plugin registry reads through each plugin's class loader.
 *
 * <p>Stateless and thread-safe. Loading reads files and may resolve listen host names (blocking): call it at
 * start-up, never on an event loop.
 */
public final class ConfigLoader {

    private static final String ROOT = "proxykit";
    private static final String REFERENCE = "reference.conf";

    private ConfigLoader() {
    }

    /**
     * Same as {@link #load(Path, Config, Path, PluginCheck)} without a plugin check.
     *
     * @throws ConfigProblems listing every problem found
     */
    public static ProxySettings load(Path file, Config overrides, Path home) throws ConfigProblems {
        return load(file, overrides, home, null);
    }

    /**
     * @param file      the user's file; {@code null} for defaults and overrides only
     * @param overrides highest-priority values, such as {@code ConfigFactory.systemProperties()}; {@code null} for
     *                  none
     * @param home      the installation folder ({@code proxykit.home}), against which {@code plugins-dir} resolves;
     *                  {@code null} for the {@code proxykit.home} setting, else the working directory
     * @param plugins   run when the configuration has problems, to report its plugins' problems with them;
     *                  {@code null} for none
     * @throws ConfigProblems listing every problem found
     */
    public static ProxySettings load(Path file, Config overrides, Path home, PluginCheck plugins)
            throws ConfigProblems {
        Problems problems = new Problems();
        Config user = ConfigFactory.empty();
        ConfigOrigin where = ConfigOriginFactory.newSimple("configuration");
        if (file != null) {
            where = ConfigOriginFactory.newFile(file.toString());
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                problems.addRaw(file + ": cannot read the configuration file: "
                        + (Files.exists(file) ? "not a readable file" : "no such file")
                        + " (expected: a readable HOCON file)");
                throw problems.toException();
            }
            try {
                user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                problems.addRaw(e instanceof ConfigException.IO ? includeLine(e, file) : line(e));
                throw problems.toException();
            }
        }
        return build(user, overrides == null ? ConfigFactory.empty() : overrides, home, file, where, plugins,
                problems);
    }

    /**
     * Same as {@link #parse(String, String, Path, PluginCheck)} without a plugin check.
     *
     * @throws ConfigProblems listing every problem found
     */
    public static ProxySettings parse(String hocon, String originDescription, Path home) throws ConfigProblems {
        return parse(hocon, originDescription, home, null);
    }

    /**
     * Same as {@link #load(Path, Config, Path, PluginCheck)} for a configuration given as text (tests, the demo),
     * without overrides. Messages name {@code originDescription} where they would name the file.
     *
     * @param hocon             the configuration text
     * @param originDescription what messages call the text, such as {@code demo.conf}
     * @param home              as for {@link #load(Path, Config, Path, PluginCheck)}
     * @param plugins           as for {@link #load(Path, Config, Path, PluginCheck)}
     * @throws ConfigProblems listing every problem found
     */
    public static ProxySettings parse(String hocon, String originDescription, Path home, PluginCheck plugins)
            throws ConfigProblems {
        Objects.requireNonNull(hocon, "hocon");
        Objects.requireNonNull(originDescription, "originDescription");
        Problems problems = new Problems();
        Config user = parse(() -> ConfigFactory.parseString(hocon,
                ConfigParseOptions.defaults().setOriginDescription(originDescription)), problems);
        return build(user, ConfigFactory.empty(), home, null, ConfigOriginFactory.newSimple(originDescription),
                plugins, problems);
    }

    private static Config parse(Supplier<Config> parser, Problems problems) throws ConfigProblems {
        try {
            return parser.get();
        } catch (ConfigException e) {
            problems.addRaw(line(e));
            throw problems.toException();
        }
    }

    private static ProxySettings build(Config user, Config overrides, Path home, Path source, ConfigOrigin where,
                                       PluginCheck plugins, Problems problems) throws ConfigProblems {
        Config merged;
        try {
            merged = overrides.withFallback(user).withFallback(Reference.CONFIG).resolve();
        } catch (ConfigException e) {
            problems.addRaw(line(e));
            throw problems.toException();
        }
        checkTopLevel(user, problems);
        checkListElementOverrides(overrides, user, problems);
        SettingsReader reader = new SettingsReader(problems);
        ProxySettings settings = reader.read(merged.root().get(ROOT), source, home, where);
        if (!problems.isEmpty()) {
            if (plugins != null && reader.pluginUse() != null) {
                plugins.check(reader.pluginUse(), problems);
            }
            throw problems.toException();
        }
        return settings;
    }

    /**
     * Keys of the user's file outside {@code proxykit}: settings written without the {@code proxykit { }} around
     * them, and misspellings of {@code proxykit}. Other top-level keys are allowed, as values for substitutions.
     */
    private static void checkTopLevel(Config user, Problems problems) {
        Set<String> known = new TreeSet<>(Reference.CONFIG.getObject(ROOT).keySet());
        known.add("routes");
        for (var entry : user.root().entrySet()) {
            String key = entry.getKey();
            ConfigValue value = entry.getValue();
            if (key.equals(ROOT)) {
                continue;
            }
            if (known.contains(key)) {
                problems.add(value.origin(), key, "a proxykit setting outside the proxykit block",
                        "proxykit { " + key + " = ... }");
            } else if (ConfigMessages.closest(key, List.of(ROOT)) != null) {
                problems.add(value.origin(), key, "unknown key; did you mean \"" + ROOT + "\"?",
                        "proxykit { ... } around the settings");
            }
        }
    }

    /**
     * Overrides such as {@code -Dproxykit.routes.0.upstreams.0=...} that set a field inside one element of a list the
     * user's file has: typesafe-config builds a new list from the system properties alone, so the file's other
     * elements (and the rest of that one) would vanish without a word. A whole list of values
     * ({@code -Dproxykit.listen.0=... -Dproxykit.listen.1=...}) stays allowed: that replaces the list, as it says.
     */
    private static void checkListElementOverrides(Config overrides, Config user, Problems problems) {
        for (var entry : overrides.entrySet()) {
            List<String> path = ConfigUtil.splitPath(entry.getKey());
            if (!path.get(0).equals(ROOT)) {
                continue;
            }
            for (int i = 1; i < path.size() - 1; i++) {
                if (!path.get(i).chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String list = ConfigUtil.joinPath(path.subList(0, i));
                if (isList(user, list)) {
                    problems.add(entry.getValue().origin(), entry.getKey(), "changes one element of the list " + list
                            + " of the configuration file, which would replace the whole list with what the system"
                            + " properties give", "the list edited in the file");
                }
                break;
            }
        }
    }

    private static boolean isList(Config config, String path) {
        try {
            return config.hasPathOrNull(path) && config.getValue(path).valueType() == ConfigValueType.LIST;
        } catch (ConfigException e) {
            return false; // not resolvable here; the full read reports what is wrong with it
        }
    }

    /** One line for a syntax, substitution or read error of the typesafe library. */
    private static String line(ConfigException e) {
        String message = String.valueOf(e.getMessage());
        String where = "configuration";
        if (e.origin() != null) {
            String prefix = e.origin().description() + ": ";
            if (message.startsWith(prefix)) {
                message = message.substring(prefix.length());
            }
            where = ConfigMessages.location(e.origin());
        }
        String what = e instanceof ConfigException.UnresolvedSubstitution ? "unresolved substitution"
                : e instanceof ConfigException.Parse ? "syntax error"
                : e instanceof ConfigException.IO ? "cannot read"
                : "invalid configuration";
        return where + ": " + what + ": " + plainer(message.replace('\n', ' '));
    }

    /**
     * A file that an include of {@code file} names and that cannot be read, said where the include is (the typesafe
     * library names the included file only): {@code proxykit.conf:4: cannot read the included nope.conf: ...}.
     * Falls back to {@link #line} when no line of {@code file} includes it (an include inside an included file).
     */
    private static String includeLine(ConfigException e, Path file) {
        if (e.origin() == null) {
            return line(e);
        }
        String included = ConfigMessages.source(e.origin());
        String name = included.substring(included.lastIndexOf('/') + 1);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException unreadable) {
            return line(e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            int at = text.indexOf("include");
            if (at >= 0 && text.indexOf(name, at) > at && !text.stripLeading().startsWith("#")
                    && !text.stripLeading().startsWith("//")) {
                String message = String.valueOf(e.getMessage());
                String prefix = e.origin().description() + ": ";
                if (message.startsWith(prefix)) {
                    message = message.substring(prefix.length());
                }
                return file + ":" + (i + 1) + ": cannot read the included " + included + ": "
                        + plainer(message.replace('\n', ' '));
            }
        }
        return line(e);
    }

    /**
     * The typesafe library's message in fewer words: without its hints about quoting and {@code .properties} files,
     * Java exception names or its JSON terms, which send a reader of a HOCON file the wrong way.
     */
    static String plainer(String message) {
        if (message.contains("unescaped newline in quoted strings")) {
            return "a quoted string is not closed on its line (expected: a closing \" before the line ends)";
        }
        if (message.contains("resource not found on classpath")) {
            return "the included file is not found next to the file that includes it (nor on the class path)";
        }
        String plain = message;
        int hint = plain.indexOf(" (if you ");
        if (hint > 0) {
            plain = plain.substring(0, hint);
        }
        if (plain.endsWith(": end of file")) {
            return "the file ends inside a { } or [ ] that is not closed (expected: the closing } or ])";
        }
        plain = plain.replaceFirst("^java\\.io\\.\\w+: ", "");
        if (plain.endsWith(" (No such file or directory)")) {
            plain = "no such file (a file() include is relative to the"
                    + " working directory, " + Path.of("").toAbsolutePath() + "; a plain include \"...\" is relative"
                    + " to the file that includes it)";
        }
        return plain;
    }

    /** Whether {@code value} is the built-in default of {@code path}, not a value from a file or an override. */
    static boolean isDefault(ConfigValue value, String path) {
        return Reference.CONFIG.hasPath(path) && value.origin().equals(Reference.CONFIG.getValue(path).origin());
    }

    /** proxy-netty's own {@code reference.conf}, read once. */
    private static final class Reference {

        static final Config CONFIG = read();

        /**
         * The {@code reference.conf} next to this class, named directly from its code source: asking the class loader
         * for every {@code reference.conf} (the plugins' JAR has one too) opened all of the 49 JARs of {@code lib/},
         * some 40 ms of a start.
         */
        private static Config read() {
            CodeSource code = ConfigLoader.class.getProtectionDomain().getCodeSource();
            URL own = null;
            if (code != null && code.getLocation() != null) {
                String location = code.getLocation().toString();
                try {
                    own = new URL(location.endsWith("/") ? location + REFERENCE : "jar:" + location + "!/" + REFERENCE);
                } catch (MalformedURLException e) {
                    own = null;
                }
            }
            if (own == null) {
                // no code source (repackaged, say): the one visible to this class
                own = ConfigLoader.class.getResource("/" + REFERENCE);
            }
            if (own == null) {
                throw new IllegalStateException(REFERENCE + " of proxy-netty is missing");
            }
            return ConfigFactory.parseURL(own, ConfigParseOptions.defaults().setAllowMissing(false));
        }
    }
}
