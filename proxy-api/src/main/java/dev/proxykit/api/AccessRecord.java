package dev.proxykit.api;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * Everything known about one finished exchange, for an {@link AccessLogger}. Immutable and thread-safe.
 *
 * <p>Durations are in nanoseconds and are {@code -1} when the exchange never reached that point (no upstream was
 * contacted, say). Strings that the client did not send (referer, user agent) are {@code null}.
 */
public final class AccessRecord {

    private final String connectionId;
    private final long startEpochMillis;
    private final InetSocketAddress clientAddress;
    private final String realClientIp;
    private final String method;
    private final String target;
    private final String protocol;
    private final String host;
    private final String referer;
    private final String userAgent;
    private final int status;
    private final long requestBodyBytes;
    private final long responseBodyBytes;
    private final String route;
    private final String upstream;
    private final List<String> upstreams;
    private final int attempts;
    private final long totalNanos;
    private final long connectNanos;
    private final long upstreamHeaderNanos;
    private final long upstreamTotalNanos;
    private final String failureReason;
    private final Phase failurePhase;

    private AccessRecord(Builder b) {
        this.connectionId = b.connectionId;
        this.startEpochMillis = b.startEpochMillis;
        this.clientAddress = b.clientAddress;
        this.realClientIp = b.realClientIp;
        this.method = b.method;
        this.target = b.target;
        this.protocol = b.protocol;
        this.host = b.host;
        this.referer = b.referer;
        this.userAgent = b.userAgent;
        this.status = b.status;
        this.requestBodyBytes = b.requestBodyBytes;
        this.responseBodyBytes = b.responseBodyBytes;
        this.route = b.route;
        this.upstream = b.upstream;
        this.upstreams = b.upstreams != null ? b.upstreams : b.upstream == null ? List.of() : List.of(b.upstream);
        this.attempts = b.attempts;
        this.totalNanos = b.totalNanos;
        this.connectNanos = b.connectNanos;
        this.upstreamHeaderNanos = b.upstreamHeaderNanos;
        this.upstreamTotalNanos = b.upstreamTotalNanos;
        this.failureReason = b.failureReason;
        this.failurePhase = b.failurePhase;
    }

    /** A new builder; the engine fills it in as the exchange progresses. */
    public static Builder builder() {
        return new Builder();
    }

    /** Identifies the client connection in logs, such as {@code c42}. */
    public String connectionId() {
        return connectionId;
    }

    /** When the request head was received, in milliseconds since the epoch. */
    public long startEpochMillis() {
        return startEpochMillis;
    }

    /** The client's address: the peer of the connection the request came on. */
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    /**
     * The address of the client behind trusted proxies, as nginx's {@code realip} module finds it with
     * {@code real_ip_recursive on}: when the connection's peer is one of the route's {@code trusted-proxies} and the
     * request carried {@code X-Forwarded-For}, the rightmost address in that list that is not itself a trusted proxy
     * (the leftmost when all of them are), as text such as {@code 203.0.113.7} or {@code 2001:db8::1}. {@code null}
     * when the peer is not trusted, when it sent no {@code X-Forwarded-For}, or when the entry that would be the
     * answer is not an IP address: then {@link #clientAddress()} is all that is known.
     */
    public String realClientIp() {
        return realClientIp;
    }

    /** The method as received, or {@code "-"} when no request line could be read. */
    public String method() {
        return method;
    }

    /** The request target as received, or {@code "-"}. */
    public String target() {
        return target;
    }

    /** The protocol as received, such as {@code HTTP/1.1}, or {@code "-"}. */
    public String protocol() {
        return protocol;
    }

    /** The client's {@code Host} header, or {@code null}. */
    public String host() {
        return host;
    }

    /** The client's {@code Referer} header, or {@code null}. */
    public String referer() {
        return referer;
    }

    /** The client's {@code User-Agent} header, or {@code null}. */
    public String userAgent() {
        return userAgent;
    }

    /**
     * The status: the upstream's when its response was relayed, otherwise the one the {@link ErrorClassifier} chose
     * (499 when the client went away, 408 when it stopped reading the response until the idle timeout: then the
     * upstream's status is replaced, since the client did not get the whole response).
     */
    public int status() {
        return status;
    }

    /** Request body bytes received from the client (after de-chunking). */
    public long requestBodyBytes() {
        return requestBodyBytes;
    }

    /** Response body bytes sent to the client (after de-chunking), as nginx's {@code $body_bytes_sent}. */
    public long responseBodyBytes() {
        return responseBodyBytes;
    }

    /** The route's name, or {@code null} when no route matched. */
    public String route() {
        return route;
    }

    /** The last upstream tried, as {@code host:port}, or {@code null} when none was. */
    public String upstream() {
        return upstream;
    }

    /**
     * Every upstream tried, in order, as {@code host:port}, one entry per upstream chosen (a retry on another
     * upstream adds one; nginx's {@code $upstream_addr} lists the same); the last is {@link #upstream()}. Empty when
     * none was tried. Immutable.
     */
    public List<String> upstreams() {
        return upstreams;
    }

    /** How many upstream attempts were made (0 when none). */
    public int attempts() {
        return attempts;
    }

    /** From the request head to the end of the exchange. */
    public long totalNanos() {
        return totalNanos;
    }

    /** Time to obtain the upstream connection (0 when a pooled one was reused), or -1. */
    public long connectNanos() {
        return connectNanos;
    }

    /**
     * From sending the request upstream (its last byte; its first when the upstream answered before the request
     * ended) to receiving the response head, or -1 when no head came.
     */
    public long upstreamHeaderNanos() {
        return upstreamHeaderNanos;
    }

    /** From sending the request upstream to the end of the response, or -1. */
    public long upstreamTotalNanos() {
        return upstreamTotalNanos;
    }

    /** The classifier's reason when the exchange failed, or {@code null} when it succeeded. */
    public String failureReason() {
        return failureReason;
    }

    /** Where the failure happened, or {@code null} when it succeeded. */
    public Phase failurePhase() {
        return failurePhase;
    }

    @Override
    public String toString() {
        return "AccessRecord[" + connectionId + ' ' + method + ' ' + target + ' ' + protocol + " -> " + status
                + (upstream == null ? "" : " via " + upstream)
                + (failureReason == null ? "" : " (" + failurePhase + ": " + failureReason + ")") + ']';
    }

    /** Builds an {@link AccessRecord}. Not thread-safe. */
    public static final class Builder {
        private String connectionId = "-";
        private long startEpochMillis;
        private InetSocketAddress clientAddress;
        private String realClientIp;
        private String method = "-";
        private String target = "-";
        private String protocol = "-";
        private String host;
        private String referer;
        private String userAgent;
        private int status;
        private long requestBodyBytes;
        private long responseBodyBytes;
        private String route;
        private String upstream;
        private List<String> upstreams;
        private int attempts;
        private long totalNanos = -1;
        private long connectNanos = -1;
        private long upstreamHeaderNanos = -1;
        private long upstreamTotalNanos = -1;
        private String failureReason;
        private Phase failurePhase;

        private Builder() {
        }

        public Builder connectionId(String v) {
            this.connectionId = Objects.requireNonNull(v, "connectionId");
            return this;
        }

        public Builder startEpochMillis(long v) {
            this.startEpochMillis = v;
            return this;
        }

        public Builder clientAddress(InetSocketAddress v) {
            this.clientAddress = v;
            return this;
        }

        /** {@link AccessRecord#realClientIp()}; {@code null} when unknown. */
        public Builder realClientIp(String v) {
            this.realClientIp = v;
            return this;
        }

        public Builder method(String v) {
            this.method = Objects.requireNonNull(v, "method");
            return this;
        }

        public Builder target(String v) {
            this.target = Objects.requireNonNull(v, "target");
            return this;
        }

        public Builder protocol(String v) {
            this.protocol = Objects.requireNonNull(v, "protocol");
            return this;
        }

        public Builder host(String v) {
            this.host = v;
            return this;
        }

        public Builder referer(String v) {
            this.referer = v;
            return this;
        }

        public Builder userAgent(String v) {
            this.userAgent = v;
            return this;
        }

        public Builder status(int v) {
            this.status = v;
            return this;
        }

        public Builder requestBodyBytes(long v) {
            this.requestBodyBytes = v;
            return this;
        }

        public Builder responseBodyBytes(long v) {
            this.responseBodyBytes = v;
            return this;
        }

        public Builder route(String v) {
            this.route = v;
            return this;
        }

        public Builder upstream(String v) {
            this.upstream = v;
            return this;
        }

        /**
         * Every upstream tried, in order; when not given, {@link AccessRecord#upstreams()} holds just the
         * {@link #upstream(String)}, if any.
         */
        public Builder upstreams(List<String> v) {
            this.upstreams = List.copyOf(v);
            return this;
        }

        public Builder attempts(int v) {
            this.attempts = v;
            return this;
        }

        public Builder totalNanos(long v) {
            this.totalNanos = v;
            return this;
        }

        public Builder connectNanos(long v) {
            this.connectNanos = v;
            return this;
        }

        public Builder upstreamHeaderNanos(long v) {
            this.upstreamHeaderNanos = v;
            return this;
        }

        public Builder upstreamTotalNanos(long v) {
            this.upstreamTotalNanos = v;
            return this;
        }

        public Builder failure(Phase phase, String reason) {
            this.failurePhase = phase;
            this.failureReason = reason;
            return this;
        }

        public AccessRecord build() {
            return new AccessRecord(this);
        }
    }
}
