package dev.proxykit.plugins;

import dev.proxykit.api.AccessRecord;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Instant;

/** Access records for the access logger tests. */
final class AccessRecords {

    /** 2026-11-21T10:15:30Z. */
    static final long START = Instant.parse("2026-11-21T10:15:30Z").toEpochMilli();

    private AccessRecords() {
    }

    /** A successful GET /a?b=1 from 127.0.0.1 through 127.0.0.1:9292: 12 ms in all, 13 body bytes. */
    static AccessRecord.Builder sample() {
        return AccessRecord.builder()
                .connectionId("c1")
                .startEpochMillis(START)
                .clientAddress(new InetSocketAddress(ip(127, 0, 0, 1), 51000))
                .method("GET")
                .target("/a?b=1")
                .protocol("HTTP/1.1")
                .host("example.com")
                .userAgent("curl/8.0")
                .status(200)
                .responseBodyBytes(13)
                .route("route-0")
                .upstream("127.0.0.1:9292")
                .attempts(1)
                .totalNanos(12_000_000)
                .connectNanos(1_000_000)
                .upstreamHeaderNanos(10_000_000)
                .upstreamTotalNanos(11_000_000);
    }

    /** A record of a client that sent nothing readable: no request line, route, upstream or client address. */
    static AccessRecord.Builder empty() {
        return AccessRecord.builder().startEpochMillis(START).status(400);
    }

    static InetAddress ip(int... octets) {
        byte[] bytes = new byte[octets.length];
        for (int i = 0; i < octets.length; i++) {
            bytes[i] = (byte) octets[i];
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
