package dev.proxykit.runtime.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses one {@code proxykit.listen} entry: {@code "127.0.0.1:3000"}, {@code "[::1]:3000"}, {@code "localhost:3000"},
 * or {@code ":3000"} / {@code "*:3000"} for every interface. Port 0 asks the system for a free port. Stateless.
 */
final class ListenAddress {

    static final String EXPECTED = "\"host:port\" such as \"127.0.0.1:3000\", \"[::1]:3000\", or \":3000\" for every"
            + " interface; port 0 to 65535";

    private static final Pattern IPV4 = Pattern.compile("[0-9.]+");
    private static final Pattern HOST_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");
    private static final int MAX_PORT = 65535;

    private ListenAddress() {
    }

    /**
     * Parses {@code text}. A host name is resolved here, once (this may block on DNS); literal addresses never are.
     *
     * @throws IllegalArgumentException with what is wrong, not repeating the text
     */
    static InetSocketAddress parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty");
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) <= ' ') {
                throw new IllegalArgumentException("whitespace at index " + i);
            }
        }
        String host;
        String portText;
        if (text.charAt(0) == '[') {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("no ']' closing the IPv6 address");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("no \":port\" after the IPv6 address");
            }
            portText = rest.substring(1);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("no \":port\"");
            }
            if (text.indexOf(':') != colon) {
                throw new IllegalArgumentException("more than one ':' (an IPv6 address goes in brackets, such as \"[::1]:3000\")");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
        }
        int port = port(portText);
        if (host.isEmpty() || host.equals("*")) {
            return new InetSocketAddress(port);
        }
        return new InetSocketAddress(address(host, text.charAt(0) == '['), port);
    }

    private static int port(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port \"" + text + "\" is not a number");
        }
        int port = Integer.parseInt(text);
        if (port > MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " is out of range");
        }
        return port;
    }

    private static InetAddress address(String host, boolean bracketed) {
        if (bracketed) {
            if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
                throw new IllegalArgumentException("\"" + host + "\" is not an IPv6 address");
            }
            return literal(host, "an IPv6 address");
        }
        if (IPV4.matcher(host).matches()) {
            String[] parts = host.split("\\.", -1);
            boolean valid = parts.length == 4;
            for (int i = 0; valid && i < parts.length; i++) {
                valid = !parts[i].isEmpty() && parts[i].length() <= 3 && Integer.parseInt(parts[i]) <= 255;
            }
            if (!valid) {
                throw new IllegalArgumentException("\"" + host + "\" is not an IPv4 address");
            }
            return literal(host, "an IPv4 address");
        }
        if (!HOST_NAME.matcher(host).matches() || host.length() > 253) {
            throw new IllegalArgumentException("\"" + host + "\" is not a valid host name");
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host name \"" + host + "\" does not resolve");
        }
    }

    /** Parses a checked IP literal; {@link InetAddress#getByName} does no lookup for those. */
    private static InetAddress literal(String host, String what) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + host + "\" is not " + what);
        }
    }
}
