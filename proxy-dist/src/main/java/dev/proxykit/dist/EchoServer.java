package dev.proxykit.dist;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's upstream: a small HTTP/1.1 server on 127.0.0.1 that answers every request with {@code 200} and a
 * plain-text body saying which upstream served it, then the request line and header lines exactly as they arrived
 * (the raw bytes: case, order and spacing untouched), then how many body bytes were received.
 *
 * <p>It reads request bodies completely ({@code Content-Length} and {@code chunked}), so connections stay usable
 * for the next request (keep-alive) unless the client asks for {@code Connection: close} or speaks HTTP/1.0
 * without keep-alive. A malformed request gets {@code 400} and the connection is closed.
 *
 * <p><b>Threads.</b> Plain blocking sockets: one accepting thread and one pooled thread per open connection (at most
 * {@value #MAX_CONNECTIONS}; more are refused by closing them). A connection idle for {@value #IDLE_TIMEOUT_MILLIS}
 * ms is closed. All threads are daemon threads. {@link #start(int)} and {@link #close()} may be called from any
 * thread; {@link #close()} is idempotent and blocks until the threads are gone (bounded).
 */
final class EchoServer implements AutoCloseable {

    static final int MAX_CONNECTIONS = 64;
    static final int IDLE_TIMEOUT_MILLIS = 60_000;
    static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final int MAX_CHUNK_LINE_BYTES = 4096;

    /** CR LF CR LF as the last four bytes read. */
    private static final int END_OF_HEAD = 0x0D0A0D0A;

    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);

    private final ServerSocket serverSocket;
    private final String name;
    private final ThreadPoolExecutor connections;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private EchoServer(ServerSocket serverSocket) {
        this.serverSocket = serverSocket;
        this.name = "127.0.0.1:" + serverSocket.getLocalPort();
        AtomicInteger threadCount = new AtomicInteger();
        this.connections = new ThreadPoolExecutor(0, MAX_CONNECTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                task -> daemon(task, "echo-" + serverSocket.getLocalPort() + "-" + threadCount.incrementAndGet()));
        this.acceptor = daemon(this::acceptLoop, "echo-" + serverSocket.getLocalPort() + "-accept");
    }

    /**
     * Binds 127.0.0.1:{@code port} and starts serving.
     *
     * @param port the port, or 0 for any free one (see {@link #port()})
     * @throws IOException when the port cannot be bound, for example because it is in use
     */
    static EchoServer start(int port) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        EchoServer server = new EchoServer(socket);
        server.acceptor.start();
        LOG.debug("echo upstream {} started", server.name);
        return server;
    }

    /** The bound port. */
    int port() {
        return serverSocket.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}, as the response bodies name this upstream. */
    String name() {
        return name;
    }

    /** Stops accepting, closes every open connection and waits (at most a few seconds) for the threads to end. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeQuietly(serverSocket);
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        connections.shutdownNow();
        try {
            acceptor.join(5_000);
            if (!connections.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("echo upstream {}: connection threads still running 5s after close", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.debug("echo upstream {} stopped", name);
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.warn("echo upstream {}: accept failed, stopping: {}", name, e.toString());
                }
                return;
            }
            open.add(socket);
            try {
                connections.execute(() -> serve(socket));
            } catch (RejectedExecutionException e) {
                LOG.warn("echo upstream {}: {} connections open, refusing one more", name, MAX_CONNECTIONS);
                open.remove(socket);
                closeQuietly(socket);
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            try {
                boolean keepAlive = true;
                while (keepAlive && !closed.get()) {
                    byte[] head = readHead(in);
                    if (head == null) {
                        return;
                    }
                    Request request = Request.parse(head);
                    if (request.expectContinue) {
                        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    long bodyBytes = request.chunked ? readChunked(in) : skip(in, request.contentLength);
                    keepAlive = request.keepAlive;
                    out.write(response(200, "OK", echo(head, bodyBytes), request.head, !keepAlive));
                    out.flush();
                }
            } catch (BadRequest e) {
                byte[] body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(response(e.status, e.reason, body, false, true));
                out.flush();
            }
        } catch (SocketException | EOFException e) {
            LOG.debug("echo upstream {}: connection ended: {}", name, e.toString());
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("echo upstream {}: connection failed: {}", name, e.toString());
            }
        } finally {
            open.remove(socket);
        }
    }

    /** The response body: this upstream, the raw request head (without its final empty line), the body length. */
    private byte[] echo(byte[] head, long bodyBytes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(head.length + 128);
        body.writeBytes(("served by upstream " + name + "\n\n").getBytes(StandardCharsets.UTF_8));
        body.write(head, 0, head.length - 2);
        body.writeBytes(("\nbody: " + bodyBytes + " bytes\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private static byte[] response(int status, String reason, byte[] body, boolean headOnly, boolean close) {
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: " + (close ? "close" : "keep-alive") + "\r\n"
                + "\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + body.length);
        out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        if (!headOnly) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    /**
     * Reads one request head up to and including the empty line; empty lines before the request line are skipped.
     *
     * @return the head bytes as received, or {@code null} when the connection ended before a request started
     */
    private static byte[] readHead(InputStream in) throws IOException, BadRequest {
        int b;
        do {
            b = in.read();
            if (b == -1) {
                return null;
            }
        } while (b == '\r' || b == '\n');
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int lastFour = 0;
        while (true) {
            head.write(b);
            lastFour = (lastFour << 8) | b;
            if (lastFour == END_OF_HEAD) {
                return head.toByteArray();
            }
            if (head.size() >= MAX_HEAD_BYTES) {
                throw new BadRequest(431, "Request Header Fields Too Large",
                        "request head: more than " + MAX_HEAD_BYTES + " bytes (expected: at most " + MAX_HEAD_BYTES
                                + ")");
            }
            b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed inside a request head");
            }
        }
    }

    private static long skip(InputStream in, long length) throws IOException {
        long remaining = length;
        byte[] buffer = new byte[8192];
        while (remaining > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (n == -1) {
                throw new EOFException("connection closed after " + (length - remaining) + " of " + length
                        + " body bytes");
            }
            remaining -= n;
        }
        return length;
    }

    /** Reads a chunked body and its trailer section; returns the number of data bytes. */
    private static long readChunked(InputStream in) throws IOException, BadRequest {
        long total = 0;
        while (true) {
            String line = readLine(in);
            int semicolon = line.indexOf(';');
            String hex = (semicolon >= 0 ? line.substring(0, semicolon) : line).trim();
            long size;
            try {
                if (hex.isEmpty() || hex.length() > 15) {
                    throw new NumberFormatException(hex);
                }
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new BadRequest("chunk size: '" + line + "' (expected: hexadecimal digits)");
            }
            if (size < 0) {
                throw new BadRequest("chunk size: '" + line + "' (expected: >= 0)");
            }
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailer fields are read and dropped
                }
                return total;
            }
            total += skip(in, size);
            if (!readLine(in).isEmpty()) {
                throw new BadRequest("chunk of " + size + " bytes not followed by CRLF");
            }
        }
    }

    private static String readLine(InputStream in) throws IOException, BadRequest {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed inside a chunked body");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_CHUNK_LINE_BYTES) {
                throw new BadRequest("chunk line longer than " + MAX_CHUNK_LINE_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.debug("close failed: {}", e.toString());
        }
    }

    /** What the server needs from a request head. */
    private static final class Request {

        final boolean head;
        final boolean chunked;
        final long contentLength;
        final boolean keepAlive;
        final boolean expectContinue;

        private Request(boolean head, boolean chunked, long contentLength, boolean keepAlive,
                        boolean expectContinue) {
            this.head = head;
            this.chunked = chunked;
            this.contentLength = contentLength;
            this.keepAlive = keepAlive;
            this.expectContinue = expectContinue;
        }

        static Request parse(byte[] raw) throws BadRequest {
            String text = new String(raw, 0, raw.length - 4, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r\n", -1);
            String[] requestLine = lines[0].split(" ", -1);
            if (requestLine.length != 3 || requestLine[0].isEmpty() || requestLine[1].isEmpty()) {
                throw new BadRequest("request line: '" + lines[0] + "' (expected: METHOD SP target SP HTTP/1.x)");
            }
            String version = requestLine[2];
            if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
                throw new BadRequest("version: '" + version + "' (expected: HTTP/1.1 or HTTP/1.0)");
            }
            long contentLength = -1;
            String transferEncoding = null;
            boolean close = false;
            boolean keepAliveToken = false;
            boolean expectContinue = false;
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                int colon = line.indexOf(':');
                if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t'
                        || Character.isWhitespace(line.charAt(colon - 1))) {
                    throw new BadRequest("header line: '" + line + "' (expected: name: value)");
                }
                String field = line.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                switch (field) {
                    case "content-length":
                        long length = parseContentLength(value);
                        if (contentLength >= 0 && contentLength != length) {
                            throw new BadRequest("content-length: " + contentLength + " and " + length
                                    + " (expected: one value)");
                        }
                        contentLength = length;
                        break;
                    case "transfer-encoding":
                        transferEncoding = transferEncoding == null ? value : transferEncoding + ", " + value;
                        break;
                    case "connection":
                        for (String token : value.split(",")) {
                            String t = token.trim().toLowerCase(Locale.ROOT);
                            close |= t.equals("close");
                            keepAliveToken |= t.equals("keep-alive");
                        }
                        break;
                    case "expect":
                        expectContinue = value.equalsIgnoreCase("100-continue");
                        break;
                    default:
                        break;
                }
            }
            boolean chunked = false;
            if (transferEncoding != null) {
                if (contentLength >= 0) {
                    throw new BadRequest("both transfer-encoding and content-length (expected: one of them)");
                }
                String[] codings = transferEncoding.split(",");
                if (!codings[codings.length - 1].trim().equalsIgnoreCase("chunked")) {
                    throw new BadRequest("transfer-encoding: " + transferEncoding + " (expected: chunked last)");
                }
                chunked = true;
            }
            boolean keepAlive = version.equals("HTTP/1.1") ? !close : keepAliveToken && !close;
            return new Request(requestLine[0].equals("HEAD"), chunked, Math.max(contentLength, 0), keepAlive,
                    expectContinue && version.equals("HTTP/1.1"));
        }

        private static long parseContentLength(String value) throws BadRequest {
            if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new BadRequest("content-length: '" + value + "' (expected: decimal digits)");
            }
            return Long.parseLong(value);
        }
    }

    /** A request that cannot be served; answered with its status (400 unless said otherwise) and closed. */
    private static final class BadRequest extends Exception {

        private static final long serialVersionUID = 1L;

        final int status;
        final String reason;

        BadRequest(String message) {
            this(400, "Bad Request", message);
        }

        BadRequest(int status, String reason, String message) {
            super(message);
            this.status = status;
            this.reason = reason;
        }
    }
}
