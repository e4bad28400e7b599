package dev.proxykit.api;

import java.util.Locale;
import java.util.Objects;

/**
 * A validated upstream address: scheme ({@code http} or {@code https}), host, port, an optional path prefix,
 * and a weight for load balancing.
 *
 * <p>The only way to build one is {@link #parse(String)} (or {@link #parse(String, int)}), a strict parser of
 * upstream URLs of the form {@code http[s]://host[:port][/path]}. It rejects what Go's {@code url.Parse} lets
 * through and turns into strange failures at run time: a missing scheme ({@code localhost:8080},
 * {@code http//x}), a missing host ({@code http://}), a scheme other than http and https ({@code ftp://x}), a
 * port outside 1-65535 ({@code http://x:0}), userinfo ({@code http://u@x}), a query or a fragment, whitespace,
 * and malformed percent-encoding in the path. The message of the exception says which rule was broken.
 *
 * <p>Instances are immutable and thread-safe. Two upstreams are equal when scheme, host (ignoring case), port,
 * whether the port was written, path prefix and weight are equal, so equal upstreams send the same Host.
 */
public final class Upstream {

    /** The largest weight accepted. */
    public static final int MAX_WEIGHT = 1_000_000;

    private final String scheme;
    private final String host;
    private final int port;
    private final boolean explicitPort;
    private final String pathPrefix;
    private final int weight;
    private final String address;
    private final String authority;
    private final String url;

    private Upstream(String scheme, String host, int port, boolean explicitPort, String pathPrefix, int weight) {
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.explicitPort = explicitPort;
        this.pathPrefix = pathPrefix;
        this.weight = weight;
        String hostForm = host.indexOf(':') >= 0 ? '[' + host + ']' : host;
        this.address = hostForm + ':' + port;
        this.authority = explicitPort ? address : hostForm;
        this.url = scheme + "://" + authority + pathPrefix;
    }

    /**
     * Parses an upstream URL with weight 1.
     *
     * @throws IllegalArgumentException with a message naming the URL and the broken rule
     */
    public static Upstream parse(String url) {
        return parse(url, 1);
    }

    /**
     * Parses an upstream URL of the form {@code http[s]://host[:port][/path]}.
     *
     * @param url    the URL; the host is a DNS name, an IPv4 address or an IPv6 address in brackets
     * @param weight the load-balancing weight, 1 to {@link #MAX_WEIGHT}
     * @throws IllegalArgumentException with a message naming the URL and the broken rule
     */
    public static Upstream parse(String url, int weight) {
        if (url == null) {
            throw new IllegalArgumentException("upstream URL: null (expected: http[s]://host[:port][/path])");
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 1 to " + MAX_WEIGHT + ")");
        }
        for (int i = 0; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c <= ' ' || c >= 0x7F) {
                throw invalid(url, "it contains " + describe(c) + " at index " + i
                        + " (expected: no whitespace, control or non-ASCII characters)");
            }
        }
        int sep = url.indexOf("://");
        if (sep < 0) {
            String hint = url.matches("(?i)https?//.*") ? "; did you mean \"" + url.replaceFirst("//", "://") + "\"?"
                    : url.matches("(?i)https?:/[^/].*") ? "; did you mean \"" + url.replaceFirst(":/", "://") + "\"?"
                    : "";
            throw invalid(url, "missing scheme (expected: http://host[:port] or https://host[:port])" + hint);
        }
        String scheme = url.substring(0, sep).toLowerCase(Locale.ROOT);
        if (scheme.isEmpty()) {
            throw invalid(url, "missing scheme before \"://\" (expected: http or https)");
        }
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw invalid(url, "unsupported scheme \"" + url.substring(0, sep) + "\" (expected: http or https)");
        }
        String rest = url.substring(sep + 3);
        int q = rest.indexOf('?');
        if (q >= 0) {
            throw invalid(url, "a query (\"" + rest.substring(q) + "\") is not allowed in an upstream URL");
        }
        int f = rest.indexOf('#');
        if (f >= 0) {
            throw invalid(url, "a fragment (\"" + rest.substring(f) + "\") is not allowed in an upstream URL");
        }
        int slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        if (hostPort.indexOf('@') >= 0) {
            throw invalid(url, "userinfo (\"" + hostPort.substring(0, hostPort.lastIndexOf('@') + 1)
                    + "\") is not allowed in an upstream URL");
        }
        if (hostPort.isEmpty()) {
            throw invalid(url, "missing host (expected: http[s]://host[:port])");
        }

        String host;
        String portText = null;
        if (hostPort.charAt(0) == '[') {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw invalid(url, "unterminated IPv6 address (expected: [address] with a closing bracket)");
            }
            host = hostPort.substring(1, close);
            if (!isIpv6(host)) {
                throw invalid(url, "invalid IPv6 address \"" + host + "\"");
            }
            String after = hostPort.substring(close + 1);
            if (!after.isEmpty()) {
                if (after.charAt(0) != ':') {
                    throw invalid(url, "unexpected \"" + after + "\" after the IPv6 address (expected: :port)");
                }
                portText = after.substring(1);
            }
        } else {
            int colon = hostPort.indexOf(':');
            if (colon >= 0) {
                if (hostPort.indexOf(':', colon + 1) >= 0) {
                    throw invalid(url, "more than one ':' in \"" + hostPort
                            + "\" (expected: host:port; an IPv6 address goes in brackets)");
                }
                host = hostPort.substring(0, colon);
                portText = hostPort.substring(colon + 1);
            } else {
                host = hostPort;
            }
            if (host.isEmpty()) {
                throw invalid(url, "missing host (expected: http[s]://host[:port])");
            }
            String problem = checkHostName(host);
            if (problem != null) {
                throw invalid(url, "invalid host \"" + host + "\": " + problem);
            }
        }

        int port = scheme.equals("https") ? 443 : 80;
        boolean explicitPort = false;
        if (portText != null) {
            if (portText.isEmpty()) {
                throw invalid(url, "empty port after ':' (expected: 1 to 65535, or no ':' for the default)");
            }
            if (portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw invalid(url, "port \"" + portText + "\" (expected: a number from 1 to 65535)");
            }
            port = Integer.parseInt(portText);
            if (port < 1 || port > 65535) {
                throw invalid(url, "port " + port + " (expected: 1 to 65535)");
            }
            explicitPort = true;
        }

        String pathProblem = checkPath(path);
        if (pathProblem != null) {
            throw invalid(url, "invalid path \"" + path + "\": " + pathProblem);
        }
        return new Upstream(scheme, host, port, explicitPort, path, weight);
    }

    /** {@code http} or {@code https}, in lower case. */
    public String scheme() {
        return scheme;
    }

    /** Whether the scheme is {@code https}. */
    public boolean isSecure() {
        return scheme.equals("https");
    }

    /** The host as written: a DNS name, an IPv4 address, or an IPv6 address without brackets. */
    public String host() {
        return host;
    }

    /** The port, explicit or the scheme's default (80, 443). */
    public int port() {
        return port;
    }

    /**
     * The path prefix as written, possibly {@code ""} or {@code "/"}; never holds a query. Directors such as
     * {@code single-host} join it with the request path.
     */
    public String pathPrefix() {
        return pathPrefix;
    }

    /** The load-balancing weight, 1 to {@link #MAX_WEIGHT}; 1 unless configured. */
    public int weight() {
        return weight;
    }

    /** {@code host:port} with the port always present (IPv6 in brackets), as access logs show it. */
    public String address() {
        return address;
    }

    /**
     * The authority as a {@code Host} header carries it: the host, plus {@code :port} when the URL named a port
     * ({@code http://backend.local} gives {@code backend.local}, {@code http://127.0.0.1:9292} gives
     * {@code 127.0.0.1:9292}).
     */
    public String authority() {
        return authority;
    }

    /** The same upstream with another weight. */
    public Upstream withWeight(int newWeight) {
        if (newWeight < 1 || newWeight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight: " + newWeight + " (expected: 1 to " + MAX_WEIGHT + ")");
        }
        return newWeight == weight ? this : new Upstream(scheme, host, port, explicitPort, pathPrefix, newWeight);
    }

    /** The normalised URL: {@code scheme://authority/path}, without the weight. */
    @Override
    public String toString() {
        return url;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Upstream)) {
            return false;
        }
        Upstream that = (Upstream) o;
        return port == that.port && weight == that.weight && explicitPort == that.explicitPort
                && scheme.equals(that.scheme) && host.equalsIgnoreCase(that.host) && pathPrefix.equals(that.pathPrefix);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheme, host.toLowerCase(Locale.ROOT), port, explicitPort, pathPrefix, weight);
    }

    private static IllegalArgumentException invalid(String url, String why) {
        return new IllegalArgumentException("invalid upstream URL \"" + url + "\": " + why);
    }

    private static String describe(char c) {
        return c == ' ' ? "a space" : c == '\t' ? "a tab" : "character 0x" + Integer.toHexString(c);
    }

    /** Returns null when {@code host} is a valid DNS name or IPv4 address, else what is wrong. */
    private static String checkHostName(String host) {
        if (host.length() > 253) {
            return "longer than 253 characters";
        }
        boolean allDigitsAndDots = true;
        int labelLength = 0;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return "empty label (expected: labels separated by single dots)";
                }
                if (host.charAt(i - 1) == '-') {
                    return "a label starts or ends with '-'";
                }
                labelLength = 0;
                continue;
            }
            if (c == '-' && labelLength == 0) {
                return "a label starts or ends with '-'";
            }
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_';
            if (!ok) {
                return "character '" + c + "' (expected: letters, digits, '-', '_' and '.')";
            }
            if (c < '0' || c > '9') {
                allDigitsAndDots = false;
            }
            if (++labelLength > 63) {
                return "a label longer than 63 characters";
            }
        }
        if (labelLength == 0 && host.length() > 1 && host.charAt(host.length() - 1) == '.'
                && host.charAt(host.length() - 2) == '.') {
            return "empty label (expected: labels separated by single dots)";
        }
        if (host.charAt(0) == '-' || host.charAt(host.length() - 1) == '-') {
            return "a label starts or ends with '-'";
        }
        if (allDigitsAndDots) {
            String[] parts = host.split("\\.", -1);
            if (parts.length != 4) {
                return "not a valid IPv4 address (expected: four numbers 0-255 separated by dots)";
            }
            for (String p : parts) {
                if (p.isEmpty() || p.length() > 3 || Integer.parseInt(p) > 255 || (p.length() > 1 && p.charAt(0) == '0')) {
                    return "not a valid IPv4 address (expected: four numbers 0-255 separated by dots)";
                }
            }
        }
        return null;
    }

    /** RFC 3986 IPv6address (without zone id). */
    static boolean isIpv6(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return false;
        }
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        String head = doubleColon >= 0 ? s.substring(0, doubleColon) : s;
        String tail = doubleColon >= 0 ? s.substring(doubleColon + 2) : "";
        int groups = 0;
        for (String part : new String[] {head, tail}) {
            if (part.isEmpty()) {
                continue;
            }
            String[] pieces = part.split(":", -1);
            for (int i = 0; i < pieces.length; i++) {
                String p = pieces[i];
                boolean last = part == tail || doubleColon < 0 ? i == pieces.length - 1 : false;
                if (last && p.indexOf('.') >= 0) {
                    if (checkHostName(p) != null || !p.matches("[0-9.]+")) {
                        return false;
                    }
                    groups += 2;
                    continue;
                }
                if (p.isEmpty() || p.length() > 4 || !p.matches("[0-9a-fA-F]+")) {
                    return false;
                }
                groups++;
            }
        }
        return doubleColon >= 0 ? groups <= 7 : groups == 8;
    }

    /** Returns null when {@code path} is empty or an RFC 3986 path-abempty, else what is wrong. */
    private static String checkPath(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%') {
                if (i + 2 >= path.length() || !isHex(path.charAt(i + 1)) || !isHex(path.charAt(i + 2))) {
                    return "'%' at index " + i + " is not followed by two hex digits";
                }
                i += 2;
                continue;
            }
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0;
            if (!ok) {
                return "character '" + c + "' at index " + i + " (expected: RFC 3986 path characters)";
            }
        }
        return null;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
