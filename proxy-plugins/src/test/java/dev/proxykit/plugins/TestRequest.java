package dev.proxykit.plugins;

import dev.proxykit.api.HeaderNames;
import dev.proxykit.api.Headers;
import dev.proxykit.api.ProxyRequest;
import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A request as the engine hands it to plugins: {@link #inbound()} is the read-only view of what the client sent and
 * the {@link ProxyRequest} methods edit a copy of it, over {@link Headers#create()}.
 */
final class TestRequest implements ProxyRequest {

    private final Inbound inbound;
    private final Upstream upstream;
    private final Headers headers = Headers.create();
    private String method;
    private String target;

    private TestRequest(Inbound inbound, Upstream upstream) {
        this.inbound = inbound;
        this.upstream = upstream;
        this.method = inbound.method;
        this.target = inbound.target;
        inbound.headers.forEach(headers::add);
    }

    /**
     * A request {@code method target HTTP/1.1} to {@code upstream}, with header fields given as alternating names
     * and values.
     */
    static TestRequest of(Upstream upstream, String method, String target, String... fields) {
        Headers received = Headers.create();
        for (int i = 0; i < fields.length; i += 2) {
            received.add(fields[i], fields[i + 1]);
        }
        return new TestRequest(new Inbound(method, target, received), upstream);
    }

    /** Field names and values of the outbound headers, as "name: value" lines in order. */
    List<String> headerLines() {
        String[] lines = new String[headers.size()];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = headers.name(i) + ": " + headers.value(i);
        }
        return List.of(lines);
    }

    @Override
    public RequestInfo inbound() {
        return inbound;
    }

    @Override
    public Upstream upstream() {
        return upstream;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public void setMethod(String method) {
        if (!HeaderNames.isToken(method)) {
            throw new IllegalArgumentException("method: \"" + method + "\" (expected: a token)");
        }
        this.method = method;
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public void setTarget(String target) {
        if (target.isEmpty()) {
            throw new IllegalArgumentException("target: \"\" (expected: a request target)");
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == ' ' || c == '\r' || c == '\n' || c == 0 || c > 0xFF) {
                throw new IllegalArgumentException("target: char 0x" + Integer.toHexString(c) + " at " + i
                        + " (expected: no space, CR, LF, NUL or char above 0xFF)");
            }
        }
        this.target = target;
    }

    @Override
    public Headers headers() {
        return headers;
    }

    /** The client's request, read-only. */
    static final class Inbound implements RequestInfo {
        private final String method;
        private final String target;
        private final Headers headers;

        Inbound(String method, String target, Headers headers) {
            this.method = method;
            this.target = target;
            this.headers = new ReadOnlyHeaders(headers);
        }

        @Override
        public String method() {
            return method;
        }

        @Override
        public String target() {
            return target;
        }

        @Override
        public String protocol() {
            return "HTTP/1.1";
        }

        @Override
        public Headers headers() {
            return headers;
        }

        @Override
        public String scheme() {
            return "http";
        }

        @Override
        public InetSocketAddress clientAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public String route() {
            return "route-0";
        }
    }

    /** Reads through to another {@link Headers}; mutators throw, as {@link RequestInfo#headers()} says. */
    private static final class ReadOnlyHeaders implements Headers {
        private final Headers delegate;

        ReadOnlyHeaders(Headers delegate) {
            this.delegate = delegate;
        }

        @Override
        public int size() {
            return delegate.size();
        }

        @Override
        public String name(int index) {
            return delegate.name(index);
        }

        @Override
        public String value(int index) {
            return delegate.value(index);
        }

        @Override
        public String get(CharSequence name) {
            return delegate.get(name);
        }

        @Override
        public List<String> getAll(CharSequence name) {
            return delegate.getAll(name);
        }

        @Override
        public Headers add(String name, String value) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public Headers set(String name, String value) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public boolean remove(CharSequence name) {
            throw new UnsupportedOperationException("read-only");
        }
    }
}
