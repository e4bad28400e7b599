package dev.proxykit.runtime.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.proxykit.api.Upstream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * The schema: reads the resolved {@code proxykit} object into {@link ProxySettings}, recording every problem instead
 * of stopping at the first. Global settings must all be present (reference.conf provides them); a route's optional
 * settings fall back to the global ones here, in code, because list elements get no reference.conf defaults.
 * Confined to the reading thread; one instance reads one configuration.
 */
final class SettingsReader {

    /** The selector of a route that names none. */
    static final String DEFAULT_SELECTOR = "round-robin";

    static final String ROUTES = "a list of at least one route, such as routes = [{ upstreams = [\"http://127.0.0.1:8080\"] }]";
    static final String PLUGIN = "a plugin name such as round-robin, or a block { type = NAME, ...settings }";

    private static final Pattern PLUGIN_NAME = Pattern.compile("[a-z][a-z0-9-]*");
    private static final Pattern ROUTE_NAME = Pattern.compile("[^\\s\\p{Cntrl}]+");
    private static final Pattern MATCH_HOST = Pattern.compile(
            "(\\*\\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*|\\[[0-9a-f:.]+]");
    private static final Pattern VIA = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~:\\[\\]-]+");
    private static final String NAME_RULE = "lower-case letters, digits and '-', starting with a letter";
    private static final List<String> TRANSPORTS = List.of("auto", "epoll", "io_uring", "nio");
    private static final int MAX_WORKERS = 4096;
    private static final String POSITIVE_SIZE = "a positive size in bytes, or with a unit such as 8k or 1m; less than 2g";
    private static final String DURATION = ValueReader.POSITIVE_DURATION;
    private static final String BOOLEAN = "true or false";
    private static final String RECEIVE_BUFFER = "auto, or a size from 4k to less than 2g, such as 2m";

    private final Problems problems;
    private final ValueReader values;
    private final BalancingReader balancing;
    /** The plugins of every route read so far, valid or not. */
    private final List<PluginUse.Route> pluginRoutes = new ArrayList<>();
    private PluginUse pluginUse;

    SettingsReader(Problems problems) {
        this.problems = problems;
        this.values = new ValueReader(problems);
        this.balancing = new BalancingReader(values);
    }

    /** What a route falls back to for the settings it does not give; fields are null where the global was bad. */
    private record Globals(Timeouts timeouts, TlsSettings tls, ForwardedSettings forwarded,
                           PluginSpec errorClassifier, PluginSpec accessLog, Duration flushInterval,
                           HealthSettings health, RetrySettings retries) {
    }

    /**
     * Reads {@code proxykit}.
     *
     * @param proxykit the resolved {@code proxykit} value, or {@code null} when absent
     * @param source   the user's file, or {@code null}
     * @param home     the installation folder, or {@code null} for {@code proxykit.home} or else the working directory
     * @param where    where a missing top-level key is reported (the user's file)
     * @return the settings, or {@code null} when a problem was recorded
     */
    ProxySettings read(ConfigValue proxykit, Path source, Path home, ConfigOrigin where) {
        if (proxykit == null) {
            problems.add(where, "proxykit", "missing", "a block proxykit { ... }");
            return null;
        }
        ConfigObject object = values.object(proxykit, "proxykit", "a block proxykit { ... }");
        if (object == null) {
            return null;
        }
        Block b = new Block(object, "proxykit", problems);
        List<InetSocketAddress> listen = field(b, "listen", true, null, ListenAddress.EXPECTED, this::listen);
        Integer workers = field(b, "workers", true, null, "0 for one thread per CPU core, or 1 to " + MAX_WORKERS,
                (v, k) -> values.integer(v, k, 0, MAX_WORKERS, "0 for one thread per CPU core, or 1 to " + MAX_WORKERS));
        ProxySettings.TransportKind transport = field(b, "transport", true, null, String.join(" | ", TRANSPORTS),
                this::transport);
        Boolean tunnelSplice = field(b, "tunnel-splice", true, null, BOOLEAN, values::bool);
        int beforeFolders = problems.size();
        Path configuredHome = field(b, "home", false, null, "a folder", this::home);
        Path homeFolder = home != null ? home : configuredHome;
        if (home != null) {
            beforeFolders = problems.size(); // a bad proxykit.home is not what plugins-dir resolves against
        }
        Path pluginsDir = field(b, "plugins-dir", true, null, "a folder, or null for the class path only",
                (v, k) -> pluginsDir(v, k, homeFolder));
        boolean pluginsDirKnown = problems.size() == beforeFolders;
        Duration grace = field(b, "shutdown-grace-period", true, null, ValueReader.DURATION,
                (v, k) -> values.duration(v, k, true));
        Limits limits = field(b, "limits", true, null, "a block limits { ... }", this::limits);
        PoolSettings pool = field(b, "upstream-keepalive", true, null, "a block upstream-keepalive { ... }", this::pool);
        Integer receiveBuffer = field(b, "upstream-receive-buffer", true, null, RECEIVE_BUFFER, this::receiveBuffer);

        Timeouts timeouts = field(b, "timeouts", true, null, "a block timeouts { ... }",
                (v, k) -> timeouts(v, k, null));
        TlsSettings tls = field(b, "tls", true, null, "a block tls { ... }", (v, k) -> tls(v, k, null));
        ForwardedSettings forwarded = forwarded(b, null);
        PluginSpec errorClassifier = field(b, "error-classifier", true, null, PLUGIN, this::spec);
        PluginSpec accessLog = field(b, "access-log", true, null, PLUGIN, this::spec);
        Duration flushInterval = field(b, "flush-interval", true, null, ValueReader.DURATION,
                (v, k) -> values.duration(v, k, true));
        HealthSettings health = field(b, "health", true, null, BalancingReader.HEALTH,
                (v, k) -> balancing.health(v, k, null));
        RetrySettings retries = field(b, "retries", true, null, BalancingReader.RETRIES,
                (v, k) -> balancing.retries(v, k, null));
        Globals globals = new Globals(
                timeouts != null ? timeouts : new Timeouts(null, null, null, null),
                tls != null ? tls : new TlsSettings(null, false),
                forwarded != null ? forwarded : new ForwardedSettings(false, false, false, List.of(), null),
                errorClassifier, accessLog, flushInterval != null ? flushInterval : Duration.ZERO,
                health != null ? health : HealthSettings.NONE, retries != null ? retries : RetrySettings.NONE);

        ConfigValue routesValue = b.get("routes");
        List<RouteSettings> routes = routes(routesValue, b.key("routes"), globals, where);
        b.rejectUnknownKeys();
        if (pluginsDirKnown) {
            pluginUse = new PluginUse(pluginsDir, errorClassifier, accessLog, pluginRoutes);
        }
        if (!problems.isEmpty()) {
            return null;
        }
        int threads = workers == 0 ? Runtime.getRuntime().availableProcessors() : workers;
        return new ProxySettings(source, listen, threads, transport, tunnelSplice, grace, pluginsDir, limits, pool,
                receiveBuffer, timeouts, errorClassifier, accessLog, globals.forwarded().trustedProxies(), routes);
    }

    /**
     * The plugins of the configuration {@link #read} read, as far as they could be read: also, and above all, when it
     * had problems. {@code null} before reading, and when {@code home} or {@code plugins-dir} could not be read, for
     * then the plugins that would be loaded are not known.
     */
    PluginUse pluginUse() {
        return pluginUse;
    }

    /**
     * Reads {@code name} from {@code b}. An absent key is a problem at the global level ({@code required}) and
     * takes {@code fallback} in a route.
     */
    private <T> T field(Block b, String name, boolean required, T fallback, String expected,
                        BiFunction<ConfigValue, String, T> reader) {
        return b.read(name, required, fallback, expected, reader);
    }

    private List<InetSocketAddress> listen(ConfigValue value, String key) {
        List<ConfigValue> entries;
        if (value.valueType() == ConfigValueType.STRING) {
            entries = List.of(value);
        } else if (value.valueType() == ConfigValueType.NUMBER) {
            problems.add(value.origin(), key, describe(value) + " is a bare port", ListenAddress.EXPECTED
                    + "; \":" + value.unwrapped() + "\" listens on every interface, \"127.0.0.1:" + value.unwrapped()
                    + "\" on this machine only");
            return null;
        } else {
            entries = values.list(value, key, ListenAddress.EXPECTED + ", or a list of them");
            if (entries == null) {
                return null;
            }
            if (entries.isEmpty()) {
                problems.add(value.origin(), key, "an empty list", "at least one " + ListenAddress.EXPECTED);
                return null;
            }
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        boolean list = entries.size() > 1 || value.valueType() != ConfigValueType.STRING;
        for (int i = 0; i < entries.size(); i++) {
            ConfigValue entry = entries.get(i);
            String entryKey = list ? key + "[" + i + "]" : key;
            if (entry.valueType() != ConfigValueType.STRING) {
                values.invalid(entry, entryKey, ListenAddress.EXPECTED);
                continue;
            }
            String text = (String) entry.unwrapped();
            try {
                InetSocketAddress address = ListenAddress.parse(text);
                InetSocketAddress overlapped = overlapped(address, addresses);
                if (addresses.contains(address)) {
                    problems.add(entry.origin(), entryKey, describe(entry) + " is listed twice",
                            "each address once");
                } else if (overlapped != null) {
                    problems.add(entry.origin(), entryKey, describe(entry) + " overlaps "
                            + overlapped.getHostString() + ":" + overlapped.getPort() + " listed before it (every "
                            + "interface includes the other; the second could not be bound)",
                            "one of them, or different ports");
                } else {
                    addresses.add(address);
                }
            } catch (IllegalArgumentException e) {
                problems.add(entry.origin(), entryKey, describe(entry) + ": " + e.getMessage(), ListenAddress.EXPECTED);
            }
        }
        return addresses;
    }

    /** An address of {@code before} on the same (fixed) port when either of the two is a wildcard, or null. */
    private static InetSocketAddress overlapped(InetSocketAddress address, List<InetSocketAddress> before) {
        if (address.getPort() == 0) {
            return null; // a port of the kernel's choosing each
        }
        for (InetSocketAddress other : before) {
            if (other.getPort() == address.getPort()
                    && (other.getAddress().isAnyLocalAddress() || address.getAddress().isAnyLocalAddress())) {
                return other;
            }
        }
        return null;
    }

    private ProxySettings.TransportKind transport(ConfigValue value, String key) {
        String expected = String.join(" | ", TRANSPORTS);
        String text = values.string(value, key, expected);
        if (text == null) {
            return null;
        }
        // "io-uring" is accepted too: every other name in the configuration is written with hyphens
        String name = text.equals("io-uring") ? "io_uring" : text;
        if (!TRANSPORTS.contains(name)) {
            problems.add(value.origin(), key, describe(value) + ConfigMessages.didYouMean(text, TRANSPORTS), expected);
            return null;
        }
        return ProxySettings.TransportKind.valueOf(name.toUpperCase(Locale.ROOT));
    }

    private Path home(ConfigValue value, String key) {
        if (ValueReader.isNull(value)) {
            return null;
        }
        return path(value, key, "a folder", null);
    }

    private Path pluginsDir(ConfigValue value, String key, Path home) {
        if (ValueReader.isNull(value)) {
            return null;
        }
        String expected = "a folder, or null for the class path only";
        Path dir = path(value, key, expected, home);
        // the default may be missing (no installation around: tests, an IDE); a folder the user named may not
        if (dir != null && !Files.exists(dir)
                && !ConfigLoader.isDefault(value, "proxykit.plugins-dir")) {
            problems.add(value.origin(), key, describe(value) + ": " + dir + " does not exist", expected
                    + "; the built-in plugins are in plugins/builtin of the installation, so copy or link that folder"
                    + " into it too");
            return null;
        }
        return dir;
    }

    /** A non-empty path string, absolute or resolved against {@code base} (the working directory when null). */
    private Path path(ConfigValue value, String key, String expected, Path base) {
        String text = values.string(value, key, expected);
        if (text == null) {
            return null;
        }
        if (text.isBlank()) {
            return values.invalid(value, key, expected);
        }
        try {
            Path path = Path.of(text);
            return (base == null ? path : base.resolve(path)).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            problems.add(value.origin(), key, describe(value) + ": " + e.getReason(), expected);
            return null;
        }
    }

    private Limits limits(ConfigValue value, String key) {
        ConfigObject object = values.object(value, key, "a block limits { ... }");
        if (object == null) {
            return null;
        }
        Block b = new Block(object, key, problems);
        Long line = field(b, "max-request-line", true, null, POSITIVE_SIZE, this::positiveIntSize);
        Long head = field(b, "max-request-header-size", true, null, POSITIVE_SIZE, this::positiveIntSize);
        Long response = field(b, "max-response-header-size", true, null, POSITIVE_SIZE, this::positiveIntSize);
        String bodyExpected = "0 for no limit, or " + ValueReader.SIZE;
        Long body = field(b, "max-request-body", true, null, bodyExpected,
                (v, k) -> values.bytes(v, k, 0, Long.MAX_VALUE, bodyExpected));
        b.rejectUnknownKeys();
        if (line != null && head != null && line > head) {
            problems.add(b.get("max-request-line").origin(), b.key("max-request-line"),
                    line + " bytes is more than max-request-header-size (" + head + " bytes)",
                    "at most max-request-header-size, which includes the request line");
        }
        if (line == null || head == null || response == null || body == null) {
            return null;
        }
        return new Limits(line.intValue(), head.intValue(), response.intValue(), body);
    }

    private Long positiveIntSize(ConfigValue value, String key) {
        return values.bytes(value, key, 1, Integer.MAX_VALUE, POSITIVE_SIZE);
    }

    private PoolSettings pool(ConfigValue value, String key) {
        ConfigObject object = values.object(value, key, "a block upstream-keepalive { ... }");
        if (object == null) {
            return null;
        }
        Block b = new Block(object, key, problems);
        String idleExpected = "0 to turn upstream keep-alive off, or a positive number of connections";
        Integer maxIdle = field(b, "max-idle-per-host", true, null, idleExpected,
                (v, k) -> values.integer(v, k, 0, Integer.MAX_VALUE, idleExpected));
        Duration idleTimeout = field(b, "idle-timeout", true, null, DURATION, this::positiveDuration);
        b.rejectUnknownKeys();
        return maxIdle == null || idleTimeout == null ? null : new PoolSettings(maxIdle, idleTimeout);
    }

    /** {@code upstream-receive-buffer}: a size, or {@code auto} (0). */
    private Integer receiveBuffer(ConfigValue value, String key) {
        if ("auto".equals(value.unwrapped())) {
            return 0;
        }
        Long bytes = values.bytes(value, key, 4096, Integer.MAX_VALUE, RECEIVE_BUFFER);
        return bytes == null ? null : bytes.intValue();
    }

    private Duration positiveDuration(ConfigValue value, String key) {
        return values.duration(value, key, false);
    }

    /**
     * {@code timeouts { ... }}: with {@code fallback == null} the global block, where every key is required; in a
     * route, each key falls back to the global value.
     */
    private Timeouts timeouts(ConfigValue value, String key, Timeouts fallback) {
        ConfigObject object = values.object(value, key, "a block timeouts { connect = 5s, ... }");
        if (object == null) {
            return null;
        }
        boolean global = fallback == null;
        Timeouts base = global ? new Timeouts(null, null, null, null) : fallback;
        Block b = new Block(object, key, problems);
        Duration connect = field(b, "connect", global, base.connect(), DURATION, this::positiveDuration);
        Duration responseHeader = field(b, "response-header", global, base.responseHeader(), DURATION,
                this::positiveDuration);
        Duration idle = field(b, "idle", global, base.idle(), DURATION, this::positiveDuration);
        Duration clientHeader = field(b, "client-header", global, base.clientHeader(), DURATION,
                this::positiveDuration);
        b.rejectUnknownKeys();
        return new Timeouts(connect, responseHeader, idle, clientHeader);
    }

    /** {@code tls { ... }}, global when {@code fallback == null}; {@code ca-file} resolves against its file's folder. */
    private TlsSettings tls(ConfigValue value, String key, TlsSettings fallback) {
        ConfigObject object = values.object(value, key, "a block tls { ca-file = ..., insecure = ... }");
        if (object == null) {
            return null;
        }
        boolean global = fallback == null;
        Block b = new Block(object, key, problems);
        String caExpected = "a readable PEM file of CA certificates, or null for the JDK's trust store";
        ConfigValue caValue = b.get("ca-file");
        Path caFile;
        if (caValue == null) {
            if (global) {
                problems.add(b.origin(), b.key("ca-file"), "missing", caExpected);
            }
            caFile = global ? null : fallback.caFile();
        } else {
            caFile = caFile(caValue, b.key("ca-file"), caExpected);
        }
        Boolean insecure = field(b, "insecure", global, global ? null : fallback.insecure(), BOOLEAN, values::bool);
        b.rejectUnknownKeys();
        return insecure == null ? null : new TlsSettings(caFile, insecure);
    }

    private Path caFile(ConfigValue value, String key, String expected) {
        if (ValueReader.isNull(value)) {
            return null;
        }
        String file = value.origin().filename();
        Path folder = file == null ? null : Path.of(file).toAbsolutePath().getParent();
        Path path = path(value, key, expected, folder);
        if (path != null && !(Files.isRegularFile(path) && Files.isReadable(path))) {
            problems.add(value.origin(), key, describe(value) + ": " + path + " is not a readable file", expected);
            return null;
        }
        return path;
    }

    /**
     * {@code forwarded { ... }}, {@code trusted-proxies} and {@code via} of {@code parent}: the global ones when
     * {@code fallback == null}, else a route's, each falling back to the global value.
     */
    private ForwardedSettings forwarded(Block parent, ForwardedSettings fallback) {
        boolean global = fallback == null;
        ForwardedSettings base = global ? new ForwardedSettings(false, false, false, List.of(), null) : fallback;
        Boolean[] flags = {base.xForwardedFor(), base.xForwardedHost(), base.xForwardedProto()};
        ConfigValue block = parent.get("forwarded");
        boolean ok = true;
        if (block == null) {
            if (global) {
                problems.add(parent.origin(), parent.key("forwarded"), "missing", "a block forwarded { ... }");
                ok = false;
            }
        } else {
            ConfigObject object = values.object(block, parent.key("forwarded"),
                    "a block forwarded { x-forwarded-for = true, ... }");
            if (object == null) {
                ok = false;
            } else {
                Block b = new Block(object, parent.key("forwarded"), problems);
                String[] names = {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"};
                for (int i = 0; i < names.length; i++) {
                    flags[i] = field(b, names[i], global, flags[i], BOOLEAN, values::bool);
                    ok &= flags[i] != null;
                }
                b.rejectUnknownKeys();
            }
        }
        List<Cidr> trusted = field(parent, "trusted-proxies", global, base.trustedProxies(),
                "a list of networks such as [\"10.0.0.0/8\"]", this::cidrs);
        ConfigValue viaValue = parent.get("via");
        String via = base.via();
        if (viaValue == null && global) {
            problems.add(parent.origin(), parent.key("via"), "missing", "a name such as \"proxykit\", or null");
            ok = false;
        } else if (viaValue != null) {
            via = via(viaValue, parent.key("via"));
            ok &= via != null || ValueReader.isNull(viaValue);
        }
        if (!ok || trusted == null) {
            return null;
        }
        return new ForwardedSettings(flags[0], flags[1], flags[2], trusted, via);
    }

    private List<Cidr> cidrs(ConfigValue value, String key) {
        List<ConfigValue> entries = values.list(value, key, "a list of networks such as [\"10.0.0.0/8\", \"::1\"]");
        return entries == null ? null : each(entries, key, this::cidr);
    }

    private Cidr cidr(ConfigValue value, String key) {
        if (value.valueType() != ConfigValueType.STRING) {
            return values.invalid(value, key, "a network such as \"10.0.0.0/8\" or an address such as \"::1\"");
        }
        try {
            return Cidr.parse((String) value.unwrapped());
        } catch (IllegalArgumentException e) {
            problems.addLine(value.origin(), key, e.getMessage());
            return null;
        }
    }

    private String via(ConfigValue value, String key) {
        if (ValueReader.isNull(value)) {
            return null;
        }
        String expected = "a name such as \"proxykit\" (letters, digits and !#$%&'*+.^_`|~:-), or null for no Via";
        String text = values.string(value, key, expected);
        if (text != null && !VIA.matcher(text).matches()) {
            return values.invalid(value, key, expected);
        }
        return text;
    }

    /** A plugin spec: {@code NAME} or {@code { type = NAME, ...settings }}. */
    private PluginSpec spec(ConfigValue value, String key) {
        if (value.valueType() == ConfigValueType.STRING) {
            String name = (String) value.unwrapped();
            if (!PLUGIN_NAME.matcher(name).matches()) {
                return values.invalid(value, key, "a plugin name: " + NAME_RULE);
            }
            return new PluginSpec(name, noSettings(value.origin()), key, value.origin());
        }
        if (value.valueType() != ConfigValueType.OBJECT) {
            return values.invalid(value, key, PLUGIN);
        }
        ConfigObject object = (ConfigObject) value;
        ConfigValue type = object.get("type");
        String typeExpected = "the plugin's name (" + NAME_RULE + "), as in { type = host-rewrite, ... }";
        if (type == null) {
            problems.add(object.origin(), key + ".type", "missing", typeExpected);
            return null;
        }
        if (type.valueType() != ConfigValueType.STRING || !PLUGIN_NAME.matcher((String) type.unwrapped()).matches()) {
            return values.invalid(type, key + ".type", typeExpected);
        }
        return new PluginSpec((String) type.unwrapped(), object.withoutKey("type").toConfig(), key, object.origin());
    }

    /** The settings of a spec given as a bare name: empty, at the name's origin (so errors point at it). */
    private static Config noSettings(ConfigOrigin origin) {
        return ConfigFactory.empty().root().withOrigin(origin).toConfig();
    }

    private List<RouteSettings> routes(ConfigValue value, String key, Globals globals, ConfigOrigin where) {
        if (value == null) {
            problems.add(where, key, "missing", ROUTES);
            return List.of();
        }
        List<ConfigValue> entries = values.list(value, key, ROUTES);
        if (entries == null) {
            return List.of();
        }
        if (entries.isEmpty()) {
            problems.add(value.origin(), key, "an empty list", ROUTES);
        }
        List<RouteSettings> routes = new ArrayList<>();
        Map<String, ConfigOrigin> names = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            RouteSettings route = route(entries.get(i), key + "[" + i + "]", i, globals, names);
            if (route != null) {
                routes.add(route);
            }
        }
        return routes;
    }

    private RouteSettings route(ConfigValue value, String key, int index, Globals globals,
                                Map<String, ConfigOrigin> names) {
        ConfigObject object = values.object(value, key, "a route block { upstreams = [...], ... }");
        if (object == null) {
            return null;
        }
        int before = problems.size();
        Block b = new Block(object, key, problems);
        String name = routeName(b, index, names);
        String[] match = match(b);
        List<Upstream> upstreams = field(b, "upstreams", true, null,
                "a list of at least one upstream URL, such as [\"http://127.0.0.1:8080\"]", this::upstreams);
        PluginSpec selector = field(b, "selector", false,
                new PluginSpec(DEFAULT_SELECTOR, noSettings(object.origin()), b.key("selector"), object.origin()),
                PLUGIN, this::spec);
        List<PluginSpec> readDirectors = new ArrayList<>();
        List<PluginSpec> directors = field(b, "directors", false, List.of(), "a list of " + PLUGIN,
                (v, k) -> specs(v, k, readDirectors));
        Timeouts timeouts = field(b, "timeouts", false, globals.timeouts(), "a block timeouts { ... }",
                (v, k) -> timeouts(v, k, globals.timeouts()));
        TlsSettings tls = field(b, "tls", false, globals.tls(), "a block tls { ... }",
                (v, k) -> tls(v, k, globals.tls()));
        ForwardedSettings forwarded = forwarded(b, globals.forwarded());
        PluginSpec errorClassifier = field(b, "error-classifier", false, globals.errorClassifier(), PLUGIN, this::spec);
        PluginSpec accessLog = field(b, "access-log", false, globals.accessLog(), PLUGIN, this::spec);
        Boolean mergeSlashes = field(b, "merge-slashes", false, false, BOOLEAN, values::bool);
        Duration flushInterval = field(b, "flush-interval", false, globals.flushInterval(), ValueReader.DURATION,
                (v, k) -> values.duration(v, k, true));
        HealthSettings health = field(b, "health", false, globals.health(), BalancingReader.HEALTH,
                (v, k) -> balancing.health(v, k, globals.health()));
        RetrySettings retries = field(b, "retries", false, globals.retries(), BalancingReader.RETRIES,
                (v, k) -> balancing.retries(v, k, globals.retries()));
        b.rejectUnknownKeys();
        boolean valid = problems.size() == before;
        pluginRoutes.add(new PluginUse.Route(valid ? name : null, valid ? upstreams : null, selector, readDirectors,
                errorClassifier, accessLog));
        // a null plugin spec the route did not give is a bad global one, already reported there
        if (!valid || errorClassifier == null || accessLog == null) {
            return null;
        }
        return new RouteSettings(name, match[0], match[1], upstreams, selector, directors, timeouts, tls,
                errorClassifier, accessLog, forwarded, mergeSlashes, flushInterval, object.origin(), health, retries);
    }

    private String routeName(Block b, int index, Map<String, ConfigOrigin> names) {
        String expected = "a unique name without spaces, such as \"api\"";
        ConfigValue value = b.get("name");
        String name = value == null ? "route-" + index : values.string(value, b.key("name"), expected);
        if (name == null) {
            return null;
        }
        if (!ROUTE_NAME.matcher(name).matches()) {
            return values.invalid(value, b.key("name"), expected);
        }
        ConfigOrigin origin = value == null ? b.origin() : value.origin();
        ConfigOrigin first = names.putIfAbsent(name, origin);
        if (first != null) {
            problems.add(origin, b.key("name"), "\"" + name + "\" is already the name of the route at "
                    + ConfigMessages.location(first), expected);
        }
        return name;
    }

    /** {@code match { host, path-prefix }}: both optional; returns {host, pathPrefix}, either possibly null. */
    private String[] match(Block route) {
        String[] match = new String[2];
        ConfigValue value = route.get("match");
        if (value == null) {
            return match;
        }
        ConfigObject object = values.object(value, route.key("match"),
                "a block match { host = \"example.com\", path-prefix = \"/api/\" }");
        if (object == null) {
            return match;
        }
        Block b = new Block(object, route.key("match"), problems);
        String hostExpected = "a host name such as \"example.com\", \"*.example.com\" for its subdomains, or an IP"
                + " address; no port; leave match.host out to match every host";
        match[0] = field(b, "host", false, null, hostExpected, (v, k) -> {
            String host = values.string(v, k, hostExpected);
            if (host == null) {
                return null;
            }
            String lower = host.toLowerCase(Locale.ROOT);
            if (!MATCH_HOST.matcher(lower).matches()) {
                return values.invalid(v, k, hostExpected);
            }
            return lower;
        });
        String prefixExpected = "a path starting with \"/\", such as \"/api/\", without spaces, '?' or '#'";
        match[1] = field(b, "path-prefix", false, null, prefixExpected, (v, k) -> {
            String prefix = values.string(v, k, prefixExpected);
            if (prefix == null) {
                return null;
            }
            if (!prefix.startsWith("/") || prefix.chars().anyMatch(c -> c <= ' ' || c == '?' || c == '#' || c >= 0x7F)) {
                return values.invalid(v, k, prefixExpected);
            }
            return prefix;
        });
        b.rejectUnknownKeys();
        return match;
    }

    private List<Upstream> upstreams(ConfigValue value, String key) {
        String expected = "a list of at least one upstream URL, such as [\"http://127.0.0.1:8080\"]";
        List<ConfigValue> entries = values.list(value, key, expected);
        if (entries == null) {
            return null;
        }
        if (entries.isEmpty()) {
            problems.add(value.origin(), key, "an empty list", expected);
            return null;
        }
        return each(entries, key, this::upstream);
    }

    /** An upstream: {@code "http://host:port"} or {@code { url = "...", weight = N }}. */
    private Upstream upstream(ConfigValue value, String key) {
        String expected = "an upstream URL such as \"http://127.0.0.1:8080\", or a block { url = \"...\", weight = 3 }";
        ConfigValue url;
        int weight = 1;
        if (value.valueType() == ConfigValueType.STRING) {
            url = value;
        } else if (value.valueType() == ConfigValueType.OBJECT) {
            Block b = new Block((ConfigObject) value, key, problems);
            url = b.get("url");
            String weightExpected = "a whole number from 1 to " + Upstream.MAX_WEIGHT;
            Integer w = field(b, "weight", false, 1, weightExpected,
                    (v, k) -> values.integer(v, k, 1, Upstream.MAX_WEIGHT, weightExpected));
            b.rejectUnknownKeys();
            if (url == null) {
                problems.add(b.origin(), b.key("url"), "missing", "an upstream URL such as \"http://127.0.0.1:8080\"");
                return null;
            }
            if (url.valueType() != ConfigValueType.STRING) {
                return values.invalid(url, b.key("url"), "an upstream URL such as \"http://127.0.0.1:8080\"");
            }
            if (w == null) {
                return null;
            }
            weight = w;
        } else {
            return values.invalid(value, key, expected);
        }
        try {
            return Upstream.parse((String) url.unwrapped(), weight);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            problems.addLine(url.origin(), key, message.contains("(expected") ? message
                    : message + " (expected: http[s]://host[:port][/path])");
            return null;
        }
    }

    /** A list of plugin specs; {@code read} receives every one that could be read, also when others could not. */
    private List<PluginSpec> specs(ConfigValue value, String key, List<PluginSpec> read) {
        List<ConfigValue> entries = values.list(value, key, "a list of " + PLUGIN);
        if (entries == null) {
            return null;
        }
        return each(entries, key, (v, k) -> {
            PluginSpec spec = spec(v, k);
            if (spec != null) {
                read.add(spec);
            }
            return spec;
        });
    }

    /**
     * Reads every element of a list with {@code reader} (keys {@code key[0]}, {@code key[1]}...), so that each bad
     * element is reported; {@code null} when any was bad.
     */
    private static <T> List<T> each(List<ConfigValue> entries, String key, BiFunction<ConfigValue, String, T> reader) {
        List<T> results = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            T result = reader.apply(entries.get(i), key + "[" + i + "]");
            if (result != null) {
                results.add(result);
            }
        }
        return results.size() == entries.size() ? results : null;
    }

    private static String describe(ConfigValue value) {
        return ValueReader.describe(value);
    }
}
