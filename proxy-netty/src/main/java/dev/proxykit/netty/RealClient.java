package dev.proxykit.netty;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Predicate;

/**
 * Finds the client behind trusted proxies in a received {@code X-Forwarded-For}, as nginx's {@code realip} module does
 * with {@code real_ip_recursive on} (and Caddy's {@code client_ip} with {@code trusted_proxies_strict}): the entries
 * are read from the right, each a hop that a proxy appended; trusted hops are passed over and the first one that is not
 * trusted is the client. The right-to-left reading matters: a client can write anything at the left of the list, only
 * the entries its trusted proxies appended can be believed. Stateless; no DNS lookups.
 */
final class RealClient {

    private RealClient() {
    }

    /**
     * The client's address as text (IPv6 in its RFC 5952 form, an IPv4-mapped one as IPv4), or {@code null} when
     * {@code forwardedFor} names no address. When every entry is trusted, the leftmost one. As nginx's
     * {@code ngx_http_get_forwarded_addr}: empty entries are passed over, and an entry that is no IP address ends the
     * reading, the hop to its right (a trusted proxy, which appended what it got) being the answer, or none when it
     * is the rightmost entry.
     *
     * @param forwardedFor the {@code X-Forwarded-For} values received from a trusted peer, joined with commas
     * @param trusted      whether a hop is one of the {@code trusted-proxies}, to be passed over
     */
    static String ip(String forwardedFor, Predicate<InetAddress> trusted) {
        if (forwardedFor == null) {
            return null;
        }
        InetAddress last = null;
        int end = forwardedFor.length();
        while (end >= 0) {
            int comma = forwardedFor.lastIndexOf(',', end - 1);
            String entry = forwardedFor.substring(comma + 1, end).trim();
            end = comma;
            if (entry.isEmpty()) {
                continue;
            }
            InetAddress hop = literal(entry);
            if (hop == null) {
                break; // nothing to its left can be believed, nor can it
            }
            last = hop;
            if (!trusted.test(hop)) {
                break;
            }
        }
        return last == null ? null : NetUtil.toAddressString(last);
    }

    /**
     * An IP address, optionally with a port ({@code 192.0.2.1:8080}, {@code [2001:db8::1]:8080}), or null; no zone
     * ({@code fe80::1%eth0}).
     */
    static InetAddress literal(String entry) {
        String s = entry;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 < s.length() && s.charAt(close + 1) != ':') {
                return null;
            }
            port = close + 1 < s.length() ? s.substring(close + 2) : null;
            s = s.substring(1, close);
        } else {
            int colon = s.indexOf(':');
            if (colon >= 0 && colon == s.lastIndexOf(':')) {
                port = s.substring(colon + 1); // IPv4 with a port
                s = s.substring(0, colon);
            }
        }
        if (port != null && !isPort(port) || s.indexOf('%') >= 0) {
            return null;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(s);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes); // the bytes of a literal: never resolved
        } catch (UnknownHostException e) {
            return null; // not reached: the length is 4 or 16
        }
    }

    /** One to five ASCII digits, as a port is written. */
    private static boolean isPort(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
