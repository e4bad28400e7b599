package dev.proxykit.plugins;

import dev.proxykit.api.AccessRecord;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;

/**
 * One JSON object per record, on one line and in ASCII:
 * <pre>
 * {"time":"2026-11-21T10:15:30.000Z","client":"127.0.0.1","method":"GET","target":"/a?b=1","protocol":"HTTP/1.1",
 *  "host":"example.com","status":200,"request_bytes":0,"response_bytes":13,"referer":null,"user_agent":"curl/8.0",
 *  "route":"route-0","upstream":"127.0.0.1:9292","upstreams":["127.0.0.1:9292"],"attempts":1,"duration_ms":12.346,
 *  "connect_ms":1.000,
 *  "upstream_header_ms":10.000,"upstream_ms":11.000,"error":null,"phase":null}
 * </pre>
 * {@code client} is the connection's peer; when a trusted proxy named the client behind it
 * ({@link AccessRecord#realClientIp()}), {@code "real_client":"203.0.113.7"} follows it, and only then. {@code upstreams} lists every upstream tried, in order (more than one after a retry). {@code time} is when the request head arrived (ISO-8601 with milliseconds and the zone's offset); durations are
 * milliseconds with three decimals; absent values are {@code null}. Request fields arrive as octets of the wire, one
 * char each: octets that are valid UTF-8 are read as such (so {@code /caf%C3%A9}'s raw form {@code /café} logs as
 * {@code café}, as nginx's {@code escape=json} shows it), other octets stay one char each. Strings escape
 * {@code "} and {@code \} with a backslash and every char below 0x20 or from 0x7F as <code>&#92;uXXXX</code>, so the
 * line stays ASCII. Immutable and thread-safe.
 */
final class JsonFormat implements Function<AccessRecord, String> {

    private static final long MILLISECOND = 1_000_000L;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final DateTimeFormatter time;

    JsonFormat(ZoneId zone) {
        this.time = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX").withZone(zone);
    }

    @Override
    public String apply(AccessRecord r) {
        StringBuilder b = new StringBuilder(384);
        b.append("{\"time\":\"");
        time.formatTo(Instant.ofEpochMilli(r.startEpochMillis()), b);
        b.append('"');
        string(b, "client", AccessLogText.clientIp(r.clientAddress()));
        if (r.realClientIp() != null) {
            string(b, "real_client", r.realClientIp());
        }
        string(b, "method", r.method());
        string(b, "target", r.target());
        string(b, "protocol", r.protocol());
        string(b, "host", r.host());
        b.append(",\"status\":").append(r.status());
        b.append(",\"request_bytes\":").append(r.requestBodyBytes());
        b.append(",\"response_bytes\":").append(r.responseBodyBytes());
        string(b, "referer", r.referer());
        string(b, "user_agent", r.userAgent());
        string(b, "route", r.route());
        string(b, "upstream", r.upstream());
        b.append(",\"upstreams\":[");
        for (int i = 0; i < r.upstreams().size(); i++) {
            quote(i == 0 ? b : b.append(','), r.upstreams().get(i));
        }
        b.append(']');
        b.append(",\"attempts\":").append(r.attempts());
        millis(b, "duration_ms", r.totalNanos());
        millis(b, "connect_ms", r.connectNanos());
        millis(b, "upstream_header_ms", r.upstreamHeaderNanos());
        millis(b, "upstream_ms", r.upstreamTotalNanos());
        string(b, "error", r.failureReason());
        string(b, "phase", r.failurePhase() == null ? null : r.failurePhase().name());
        return b.append('}').toString();
    }

    private static void string(StringBuilder b, String key, String value) {
        b.append(",\"").append(key).append("\":");
        if (value == null) {
            b.append("null");
        } else {
            quote(b, value);
        }
    }

    private static void millis(StringBuilder b, String key, long nanos) {
        b.append(",\"").append(key).append("\":");
        if (nanos < 0) {
            b.append("null");
        } else {
            AccessLogText.appendDecimal3(b, nanos, MILLISECOND);
        }
    }

    /** Appends {@code s} as a JSON string in ASCII. */
    static StringBuilder quote(StringBuilder b, String value) {
        String s = value;
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) >= 0x80) {
                s = fromUtf8Octets(value);
                break;
            }
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7F) {
                b.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF])
                        .append(HEX[c & 0xF]);
            } else {
                b.append(c);
            }
        }
        return b.append('"');
    }

    /**
     * The octets of {@code s} (one char each, as the codec reads a head) decoded as UTF-8; {@code s} itself when they
     * are not valid UTF-8, or when {@code s} is not octets at all (a char above 0xFF: text from the configuration).
     */
    static String fromUtf8Octets(String s) {
        byte[] octets = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xFF) {
                return s;
            }
            octets[i] = (byte) c;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(octets))
                    .toString();
        } catch (CharacterCodingException e) {
            return s;
        }
    }
}
