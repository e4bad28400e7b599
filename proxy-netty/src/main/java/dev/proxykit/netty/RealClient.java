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
     * The client's address as text (IPv6 in its RFC 5952 form), or {@code null} when {@code forwardedFor} is
     * {@code null} or the entry that would be the answer is not an IP address. When every entry is trusted, the
     * leftmost one.
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
            InetAddress hop = literal(forwardedFor.substring(comma + 1, end).trim());
            if (hop == null) {
                return null; // a hop that is no address: nothing to its left can be believed, nor can it
            }
            last = hop;
            if (!trusted.test(hop)) {
                break;
            }
            end = comma;
        }
        return NetUtil.toAddressString(last);
    }

    /** An IP address, optionally with a port ({@code 192.0.2.1:8080}, {@code [2001:db8::1]:8080}), or null. */
    static InetAddress literal(String entry) {
        String s = entry;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 < s.length() && s.charAt(close + 1) != ':') {
                return null;
            }
            s = s.substring(1, close);
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            s = s.substring(0, s.indexOf(':')); // IPv4 with a port
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
}
