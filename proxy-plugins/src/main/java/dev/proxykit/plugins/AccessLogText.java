package dev.proxykit.plugins;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Pieces shared by the access log formats. Stateless and thread-safe. */
final class AccessLogText {

    private AccessLogText() {
    }

    /**
     * The client's IP address as text, or {@code null} when unknown; IPv6 in its RFC 5952 form ({@code ::1}, as nginx
     * logs it, where the JDK writes {@code 0:0:0:0:0:0:0:1}), which is also how {@code real_client} is written.
     */
    static String clientIp(InetSocketAddress address) {
        if (address == null) {
            return null;
        }
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return address.getHostString();
        }
        return ip instanceof Inet6Address ? ipv6(ip.getAddress()) : ip.getHostAddress();
    }

    /**
     * RFC 5952 text of a 16-byte address: groups in lower-case hex without leading zeros, the longest run of two or
     * more zero groups (the first of equal ones) written {@code ::}.
     */
    static String ipv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (bytes[2 * i] & 0xFF) << 8 | bytes[2 * i + 1] & 0xFF;
        }
        int runStart = -1;
        int runLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > runLength) {
                runStart = i;
                runLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == runStart) {
                text.append("::");
                i += runLength - 1;
            } else {
                if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                    text.append(':');
                }
                text.append(Integer.toHexString(groups[i]));
            }
        }
        return text.toString();
    }

    /**
     * Appends {@code nanos} in units of {@code unitNanos} with three decimals, rounded half up ({@code 12_345_678}
     * ns in seconds is {@code 0.012}, in milliseconds {@code 12.346}). {@code nanos} must not be negative.
     */
    static StringBuilder appendDecimal3(StringBuilder out, long nanos, long unitNanos) {
        long step = unitNanos / 1000;
        long thousandths = (nanos + step / 2) / step;
        long fraction = thousandths % 1000;
        out.append(thousandths / 1000).append('.');
        if (fraction < 100) {
            out.append(fraction < 10 ? "00" : "0");
        }
        return out.append(fraction);
    }
}
