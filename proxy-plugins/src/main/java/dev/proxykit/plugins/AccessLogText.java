package dev.proxykit.plugins;

import java.net.InetSocketAddress;

/** Pieces shared by the access log formats. Stateless and thread-safe. */
final class AccessLogText {

    private AccessLogText() {
    }

    /** The client's IP address as text, or {@code null} when unknown. */
    static String clientIp(InetSocketAddress address) {
        if (address == null) {
            return null;
        }
        return address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
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
