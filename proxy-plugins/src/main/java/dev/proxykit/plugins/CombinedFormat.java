package dev.proxykit.plugins;

import dev.proxykit.api.AccessRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.Function;

/**
 * nginx's {@code combined} format followed by upstream and timing fields:
 * <pre>
 * 127.0.0.1 - - [21/Nov/2026:10:15:30 +0000] "GET /a?b=1 HTTP/1.1" 200 13 "-" "curl/8.0" upstream=127.0.0.1:9292
 *   route=route-0 rt=0.012 uct=0.001 uht=0.010 urt=0.011 attempts=1[ tried=A,B][ real_client=IP]
 *   [ error=REASON phase=PHASE]
 * </pre>
 * (one line). {@code tried=} lists every upstream tried, in order, when a retry moved the request to another
 * upstream ({@code upstream=} is the last of them). The first field is the connection's peer; {@code real_client=}
 * follows when a trusted proxy named the client behind it ({@link AccessRecord#realClientIp()}). The time is when the request head arrived, in the given zone; durations are seconds with three
 * decimals; {@code -} stands for an absent value. Strings are escaped as nginx's {@code escape=default} does:
 * {@code "}, {@code \} and octets below 0x20 or from 0x7F become {@code \xHH}. Immutable and thread-safe.
 */
final class CombinedFormat implements Function<AccessRecord, String> {

    private static final long SECOND = 1_000_000_000L;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final DateTimeFormatter time;

    CombinedFormat(ZoneId zone) {
        this.time = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(zone);
    }

    @Override
    public String apply(AccessRecord r) {
        StringBuilder b = new StringBuilder(256);
        String client = AccessLogText.clientIp(r.clientAddress());
        b.append(client == null ? "-" : client).append(" - - [");
        time.formatTo(Instant.ofEpochMilli(r.startEpochMillis()), b);
        b.append("] \"");
        if (r.method().equals("-") && r.target().equals("-") && r.protocol().equals("-")) {
            b.append('-');
        } else {
            escape(b, r.method()).append(' ');
            escape(b, r.target()).append(' ');
            escape(b, r.protocol());
        }
        b.append("\" ").append(r.status()).append(' ').append(r.responseBodyBytes()).append(" \"");
        escapeOrDash(b, r.referer()).append("\" \"");
        escapeOrDash(b, r.userAgent()).append("\" upstream=");
        escapeOrDash(b, r.upstream()).append(" route=");
        escapeOrDash(b, r.route());
        seconds(b.append(" rt="), r.totalNanos());
        seconds(b.append(" uct="), r.connectNanos());
        seconds(b.append(" uht="), r.upstreamHeaderNanos());
        seconds(b.append(" urt="), r.upstreamTotalNanos());
        b.append(" attempts=").append(r.attempts());
        if (r.upstreams().size() > 1) {
            b.append(" tried=");
            for (int i = 0; i < r.upstreams().size(); i++) {
                escape(i == 0 ? b : b.append(','), r.upstreams().get(i));
            }
        }
        if (r.realClientIp() != null) {
            escape(b.append(" real_client="), r.realClientIp());
        }
        if (r.failureReason() != null) {
            escape(b.append(" error="), r.failureReason()).append(" phase=")
                    .append(r.failurePhase() == null ? "-" : r.failurePhase().name());
        }
        return b.toString();
    }

    private static void seconds(StringBuilder b, long nanos) {
        if (nanos < 0) {
            b.append('-');
        } else {
            AccessLogText.appendDecimal3(b, nanos, SECOND);
        }
    }

    private static StringBuilder escapeOrDash(StringBuilder b, String s) {
        return s == null ? b.append('-') : escape(b, s);
    }

    /** nginx {@code escape=default}; a char above 0xFF (not an octet) becomes its code point's UTF-8
     * bytes, each escaped. */
    static StringBuilder escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
                if (c <= 0xFF) {
                    hex(b, c);
                } else {
                    int codePoint = s.codePointAt(i);
                    i += Character.charCount(codePoint) - 1;
                    for (byte octet : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
                        hex(b, octet & 0xFF);
                    }
                }
            } else {
                b.append(c);
            }
        }
        return b;
    }

    private static void hex(StringBuilder b, int octet) {
        b.append("\\x").append(HEX[octet >> 4]).append(HEX[octet & 0xF]);
    }
}
