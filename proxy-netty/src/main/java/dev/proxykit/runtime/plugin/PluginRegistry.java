package dev.proxykit.runtime.plugin;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Director;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.ErrorClassifierFactory;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.PluginFactory;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import dev.proxykit.runtime.config.ConfigMessages;
import dev.proxykit.runtime.config.PluginSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin factories found at start-up, by kind and name, and the one place that builds plugin instances from
 * {@link PluginSpec}s. Thread-safe after discovery; instance creation happens off the event loops.
 *
 * <p>The {@code create*} methods throw {@link com.typesafe.config.ConfigException} for a name no plugin provides
 * (listing the names that exist, with a did-you-mean), for a bad setting, and for a factory that throws (naming
 * the plugin and its JAR); the message always starts with the spec's file:line and key.
 *
 * <p><b>Thread context class loader.</b> It is the plugin's own loader while a factory is instantiated (and gives
 * its name and description) and while its {@code create} runs, and is restored afterwards, also when they throw.
 * The instances' own methods ({@code direct}, {@code picker}, {@code pick}, {@code classify}, {@code log},
 * {@code close}) are called by the engine without changing it: per-request calls run on event loops, where setting
 * and restoring it on every call would cost the hot path for the rare library that needs it, and wrapping the
 * instances to do so would hide the {@code default} methods the API grows by. A plugin that uses a library which
 * reads the context loader (to find its own services, say) resolves everything it needs in {@code create}, or
 * sets the context loader itself around its own calls, as Trino's connectors do with their {@code ClassLoaderSafe*}
 * wrappers (Trino's core, like Kroxylicious, sets it around factory calls only). The plugin author's guide
 * (examples/header-director/README.md) says so.
 */
public final class PluginRegistry {

    private static final Logger log = LoggerFactory.getLogger(PluginRegistry.class);
    /** The key in typesafe's own messages: {@code 'host'} in Missing, Null and BadValue messages. */
    private static final Pattern QUOTED_KEY = Pattern.compile("'([^']+)'");
    /** The key in typesafe's WrongType message: {@code host has type NUMBER rather than STRING}. */
    private static final Pattern TYPE_KEY = Pattern.compile("^(\\S+) has type ");

    private final Map<PluginKind, Map<String, PluginEntry>> byKind;
    private final List<PluginInfo> plugins;
    /** Where plugins were looked for besides the class path, for messages; {@code null} for none. */
    private final Path pluginsDir;

    private PluginRegistry(List<PluginEntry> entries, Path pluginsDir) {
        this.pluginsDir = pluginsDir;
        Map<PluginKind, Map<String, PluginEntry>> kinds = new EnumMap<>(PluginKind.class);
        for (PluginKind kind : PluginKind.values()) {
            kinds.put(kind, new TreeMap<>());
        }
        List<PluginInfo> infos = new ArrayList<>();
        for (PluginEntry entry : entries) {
            kinds.get(entry.kind()).put(entry.name(), entry);
            infos.add(entry.info());
        }
        kinds.replaceAll((kind, names) -> Collections.unmodifiableMap(names));
        this.byKind = Collections.unmodifiableMap(kinds);
        infos.sort(Comparator.comparing(PluginInfo::kind).thenComparing(PluginInfo::name));
        this.plugins = List.copyOf(infos);
    }

    /**
     * Finds every factory on the host class path and in {@code pluginsDir} (one class loader per plugin folder or
     * JAR, parent the platform loader, sharing only {@code dev.proxykit.api}, {@code org.slf4j} and
     * {@code com.typesafe.config} with the host). Each factory is instantiated once, with the thread context class
     * loader set to its plugin's loader. Blocking (reads JARs, runs plugin constructors): call it at start-up.
     *
     * @param pluginsDir the plugins folder, or {@code null} (or a missing folder) for the class path only
     * @param hostLoader the host's class loader, searched for factories too
     * @throws PluginException listing every discovery problem
     */
    public static PluginRegistry discover(Path pluginsDir, ClassLoader hostLoader) throws PluginException {
        Objects.requireNonNull(hostLoader, "hostLoader");
        PluginRegistry registry = new PluginRegistry(new PluginLoader(hostLoader).discover(pluginsDir), pluginsDir);
        log.info("Found {} plugin(s){}", registry.plugins.size(),
                pluginsDir == null ? " on the class path" : " on the class path and in " + pluginsDir);
        return registry;
    }

    /**
     * For {@code --list-plugins}: every plugin that could be loaded, and the discovery problems (a name provided
     * twice, an unreadable JAR, ...) that {@link #discover} would have thrown, instead of only the problems. The
     * plugins' class loaders are closed before it returns.
     *
     * @param pluginsDir as for {@link #discover}
     * @param hostLoader as for {@link #discover}
     * @param problems   receives the discovery problems, each one line
     * @return the plugins, sorted by kind then name; a name provided twice appears twice
     */
    public static List<PluginInfo> listAll(Path pluginsDir, ClassLoader hostLoader, List<String> problems) {
        Objects.requireNonNull(hostLoader, "hostLoader");
        PluginLoader loader = new PluginLoader(hostLoader);
        try {
            List<PluginEntry> entries = loader.discoverAll(pluginsDir);
            problems.addAll(loader.problems());
            return new PluginRegistry(entries, pluginsDir).plugins;
        } finally {
            loader.closeLoaders(); // the listing is names and strings: nothing loads from the plugins' JARs after it
        }
    }

    /** Every plugin found, sorted by kind then name. */
    public List<PluginInfo> plugins() {
        return plugins;
    }

    /**
     * Builds the director {@code spec} names for one route. Blocking; never on an event loop.
     *
     * @param spec      the director as configured
     * @param route     the route's name, or {@code null} for a global instance
     * @param upstreams the route's upstreams, in order
     * @throws ConfigException as described on the class
     */
    public Director createDirector(PluginSpec spec, String route, List<Upstream> upstreams) {
        return create(PluginKind.DIRECTOR, DirectorFactory.class, spec, route, upstreams, DirectorFactory::create);
    }

    /**
     * Builds the selector {@code spec} names for one route. Blocking; never on an event loop.
     *
     * @throws ConfigException as described on the class
     */
    public UpstreamSelector createSelector(PluginSpec spec, String route, List<Upstream> upstreams) {
        return create(PluginKind.SELECTOR, UpstreamSelectorFactory.class, spec, route, upstreams,
                UpstreamSelectorFactory::create);
    }

    /**
     * Builds the error classifier {@code spec} names, for a route or ({@code route == null}) globally. Blocking.
     *
     * @throws ConfigException as described on the class
     */
    public ErrorClassifier createErrorClassifier(PluginSpec spec, String route) {
        return create(PluginKind.ERROR_CLASSIFIER, ErrorClassifierFactory.class, spec, route, List.of(),
                ErrorClassifierFactory::create);
    }

    /**
     * The access logger of {@code access-log = off} (nginx: {@code access_log off}): disabled, so the engine builds
     * no record. {@code off} is a reserved name, not a plugin; a plugin of that name would never be reached.
     */
    public static final String ACCESS_LOG_OFF = "off";

    private static final AccessLogger OFF = new AccessLogger() {
        @Override
        public void log(AccessRecord record) {
        }

        @Override
        public boolean isEnabled() {
            return false;
        }

        @Override
        public String toString() {
            return "access-log = off";
        }
    };

    /**
     * Builds the access logger {@code spec} names, for a route or ({@code route == null}) globally; for
     * {@link #ACCESS_LOG_OFF}, one that logs nothing. Blocking.
     *
     * @throws ConfigException as described on the class
     */
    public AccessLogger createAccessLogger(PluginSpec spec, String route) {
        if (spec.type().equals(ACCESS_LOG_OFF)) {
            if (!spec.settings().isEmpty()) {
                String key = spec.path() + "." + spec.settings().root().keySet().iterator().next();
                throw new PluginConfigException(spec.origin(), key, ConfigMessages.location(spec.origin()) + ": "
                        + key + ": unknown key (access-log = off takes no settings)", null);
            }
            return OFF;
        }
        return create(PluginKind.ACCESS_LOGGER, AccessLoggerFactory.class, spec, route, List.of(),
                AccessLoggerFactory::create);
    }

    /**
     * Checks that a plugin of {@code kind} provides the name {@code spec} gives, without building it: for a plugin
     * whose route has problems of its own, so that building it would not be building what will run.
     * {@code access-log = off} is provided.
     *
     * @throws ConfigException the one the {@code create*} methods throw for a name no plugin provides
     */
    public void requireProvided(PluginKind kind, PluginSpec spec) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(spec, "spec");
        boolean off = kind == PluginKind.ACCESS_LOGGER && spec.type().equals(ACCESS_LOG_OFF);
        if (!off && !byKind.get(kind).containsKey(spec.type())) {
            throw unknown(kind, spec);
        }
    }

    private <F extends PluginFactory, T> T create(PluginKind kind, Class<F> type, PluginSpec spec, String route,
                                                  List<Upstream> upstreams,
                                                  BiFunction<F, PluginContext, T> build) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(upstreams, "upstreams");
        PluginEntry entry = byKind.get(kind).get(spec.type());
        if (entry == null) {
            throw unknown(kind, spec);
        }
        PluginContextImpl context = new PluginContextImpl(spec, entry.defaults(), route, upstreams);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(entry.loader());
        T instance;
        try {
            instance = build.apply(type.cast(entry.factory()), context);
        } catch (PluginConfigException e) {
            throw e; // from context.invalid(...): already names the file, line and full key
        } catch (ConfigException e) {
            throw rephrase(e, entry, spec);
        } catch (RuntimeException | LinkageError e) {
            throw new PluginConfigException(spec.origin(), spec.path(), ConfigMessages.location(spec.origin()) + ": "
                    + spec.path() + ": the " + entry.describe() + " failed: " + e
                    + " (expected: settings the plugin accepts; if they are right, report this to the plugin's"
                    + " author" + (e instanceof LinkageError ? ", or add the JAR it needs to its plugin folder" : "")
                    + ")", e);
        } finally {
            thread.setContextClassLoader(previous);
        }
        if (instance == null) {
            throw new PluginConfigException(spec.origin(), spec.path(), ConfigMessages.location(spec.origin()) + ": "
                    + spec.path() + ": the " + entry.describe() + " returned null from create (expected: an instance;"
                    + " report this to the plugin's author)", null);
        }
        return instance;
    }

    /**
     * The error for a name no plugin of {@code kind} provides: the names that exist, then the most useful hint: a
     * close name (a typo), the kind that does have that name (a plugin in the wrong place), or where to put the
     * plugin that provides it.
     */
    private PluginConfigException unknown(PluginKind kind, PluginSpec spec) {
        Map<String, PluginEntry> names = byKind.get(kind);
        String hint = ConfigMessages.didYouMean(spec.type(), names.keySet());
        PluginKind other = null;
        for (PluginKind k : PluginKind.values()) {
            if (k != kind && byKind.get(k).containsKey(spec.type())) {
                other = k;
                break;
            }
        }
        if (other != null) {
            hint += "; \"" + spec.type() + "\" is " + article(other) + " plugin, not " + article(kind);
        } else if (hint.isEmpty()) {
            hint = "; put a plugin that provides it in " + (pluginsDir == null ? "plugins-dir" : pluginsDir.toString());
        }
        List<String> offered = new ArrayList<>(names.keySet());
        if (kind == PluginKind.ACCESS_LOGGER) {
            offered.add(ACCESS_LOG_OFF);
        }
        String available = offered.isEmpty() ? "none" : String.join(", ", offered);
        return new PluginConfigException(spec.origin(), spec.path(), ConfigMessages.location(spec.origin()) + ": "
                + spec.path() + ": no " + kind.displayName() + " plugin named \"" + spec.type() + "\" (available: "
                + available + hint + ")", null);
    }

    /** {@code "a director"}, {@code "an error classifier"}, {@code "an access logger"}. */
    private static String article(PluginKind kind) {
        String name = kind.displayName();
        return ("aeiou".indexOf(name.charAt(0)) >= 0 ? "an " : "a ") + name;
    }

    /**
     * A plugin's own {@link ConfigException} (typically from a {@code Config} getter), given the shape of every
     * configuration message: its file and line first, the key as the user wrote it (with the spec's path in
     * front), and the plugin.
     */
    private static PluginConfigException rephrase(ConfigException e, PluginEntry entry, PluginSpec spec) {
        ConfigOrigin origin = e.origin() != null && e.origin().lineNumber() > 0 ? e.origin() : spec.origin();
        String message = String.valueOf(e.getMessage());
        if (e.origin() != null && message.startsWith(e.origin().description() + ": ")) {
            message = message.substring(e.origin().description().length() + 2);
        }
        Matcher typeKey = TYPE_KEY.matcher(message);
        Matcher quotedKey = QUOTED_KEY.matcher(message);
        String key = spec.path();
        if (e instanceof ConfigException.WrongType && typeKey.find()) {
            key = spec.path() + "." + typeKey.group(1);
            message = message.substring(typeKey.end(1) + 1);
        } else if ((e instanceof ConfigException.Missing || e instanceof ConfigException.Null
                || e instanceof ConfigException.BadValue) && quotedKey.find()) {
            key = spec.path() + "." + quotedKey.group(1);
        }
        return new PluginConfigException(origin, key, ConfigMessages.location(origin) + ": " + key + ": " + message
                + " (in the settings of the " + entry.describe() + ")", e);
    }
}
