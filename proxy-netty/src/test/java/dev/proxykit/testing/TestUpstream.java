package dev.proxykit.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 upstream for tests, on plain JDK sockets bound to 127.0.0.1 (one thread per connection). It keeps
 * every request head byte for byte (so tests see header-name case and the raw target exactly as the proxy sent
 * them), reads bodies (Content-Length or chunked) while hashing them, and answers through a {@link Handler}.
 * Keep-alive is honoured; every accepted connection is counted.
 */
public final class TestUpstream implements AutoCloseable {

    /** Answers one request. */
    @FunctionalInterface
    public interface Handler {
        void handle(Request request, Response response) throws IOException;
    }

    /** A request as received. Bodies up to 1 MiB are kept; every body is hashed (SHA-256) and counted. */
    public record Request(String name, int connection, String requestLine, String method, String target,
                          List<String[]> headers, byte[] rawHead, byte[] body, long bodyLength, String bodySha256,
                          List<String[]> trailers, String sni) implements HeaderLines {




        public String rawHeadText() {
            return new String(rawHead, StandardCharsets.ISO_8859_1);
        }
    }

    /** How to answer. */
    public static final class Response {
        private final OutputStream out;
        private final boolean headRequest;
        private boolean closeAfter;
        private boolean written;

        Response(OutputStream out, boolean headRequest) {
            this.out = out;
            this.headRequest = headRequest;
        }

        /**
         * Sends a complete response with Content-Length (the body is left out for a HEAD request, as HTTP says);
         * {@code headers} are name/value pairs written as given.
         */
        public void send(int status, byte[] body, String... headers) throws IOException {
            StringBuilder b = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status))
                    .append("\r\n");
            boolean hasLength = false;
            for (int i = 0; i + 1 < headers.length; i += 2) {
                b.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
                hasLength |= headers[i].equalsIgnoreCase("content-length");
            }
            if (!hasLength) {
                b.append("Content-Length: ").append(body.length).append("\r\n");
            }
            b.append("\r\n");
            out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (!headRequest) {
                out.write(body);
            }
            out.flush();
            written = true;
        }

        /** Sends a complete text response. */
        public void send(int status, String body, String... headers) throws IOException {
            send(status, body.getBytes(StandardCharsets.UTF_8), headers);
        }

        /** Writes raw bytes (a whole hand-made response, or part of one) and flushes. */
        public void raw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            written = true;
        }

        public void raw(String text) throws IOException {
            raw(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        /** The stream itself, for responses written piece by piece. */
        public OutputStream stream() {
            written = true;
            return out;
        }

        /** Closes the connection after this response. */
        public void closeAfter() {
            closeAfter = true;
        }

        boolean written() {
            return written;
        }
    }

    private final String name;
    private final Handler handler;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-upstream");
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    private TestUpstream(String name, Handler handler, ServerSocket server) {
        this.name = name;
        this.handler = handler;
        this.server = server;
        threads.execute(this::acceptLoop);
    }

    /** Starts an upstream on a free loopback port. */
    public static TestUpstream start(String name, Handler handler) throws IOException {
        return new TestUpstream(name, handler, new ServerSocket(0, 128, InetAddress.getLoopbackAddress()));
    }

    /**
     * Starts an upstream on a given loopback port, for a test that stops an upstream and brings it back at the same
     * address. The port is bound with SO_REUSEADDR.
     */
    public static TestUpstream start(String name, int port, Handler handler) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        return new TestUpstream(name, handler, s);
    }

    /**
     * Starts an https upstream with the test certificate ({@code tls/server.pem}, for {@code localhost} and
     * {@code 127.0.0.1}, issued by {@code tls/ca.pem}). Requests record the SNI name the client asked for.
     */
    public static TestUpstream startTls(String name, Handler handler) throws IOException {
        javax.net.ssl.SSLServerSocket s = (javax.net.ssl.SSLServerSocket) TestTls.serverContext()
                .getServerSocketFactory().createServerSocket(0, 128, InetAddress.getLoopbackAddress());
        return new TestUpstream(name, handler, s);
    }

    public String httpsUrl(String host) {
        return "https://" + host + ":" + port();
    }

    /** An upstream that answers 200 with a text body naming itself, the request line and every header line. */
    public static TestUpstream echo(String name) throws IOException {
        return start(name, (req, res) -> res.send(200,
                "upstream " + name + "\n" + req.rawHeadText() + "body " + req.bodyLength() + " " + req.bodySha256(),
                "Content-Type", "text/plain"));
    }

    /**
     * A loopback port nothing listens on, so connections to it are refused, and that stays so for the rest of the
     * test run: the port is held by a bound, never connected, never listening socket, so the kernel gives it to no
     * other bind, in particular not to a proxy listening on port 0 (which would then proxy to itself, in a loop).
     */
    public static int closedPort() throws IOException {
        java.net.Socket holder = new java.net.Socket();
        holder.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        synchronized (HELD_PORTS) {
            HELD_PORTS.add(holder);
        }
        return holder.getLocalPort();
    }

    /** The sockets that hold {@link #closedPort()}s; open until the test JVM exits. */
    private static final java.util.List<java.net.Socket> HELD_PORTS = new java.util.ArrayList<>();

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    public String name() {
        return name;
    }

    /** How many connections were accepted. */
    public int connections() {
        return connections.get();
    }

    /** The next request received, waiting at most {@code seconds}; fails when none arrives. */
    public Request takeRequest(long seconds) throws InterruptedException {
        Request r = requests.poll(seconds, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("upstream " + name + " received no request within " + seconds + " s");
        }
        return r;
    }

    /** The next request if one arrives within {@code millis}, else null. */
    public Request pollRequest(long millis) throws InterruptedException {
        return requests.poll(millis, TimeUnit.MILLISECONDS);
    }

    public int pendingRequests() {
        return requests.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            int index = connections.incrementAndGet();
            sockets.add(s);
            try {
                threads.execute(() -> serve(s, index));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // accepted while close() ran (the JDK closes a listening socket only once accept returns): a
                // closed upstream must not leave a connection open that nobody answers
                closeQuietly(s);
                return;
            }
        }
    }

    private void serve(Socket s, int connection) {
        try (s) {
            s.setTcpNoDelay(true);
            String sni = null;
            if (s instanceof javax.net.ssl.SSLSocket) {
                javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) s;
                ssl.startHandshake();
                javax.net.ssl.SSLSession session = ssl.getSession();
                if (session instanceof javax.net.ssl.ExtendedSSLSession) {
                    for (javax.net.ssl.SNIServerName n
                            : ((javax.net.ssl.ExtendedSSLSession) session).getRequestedServerNames()) {
                        if (n instanceof javax.net.ssl.SNIHostName) {
                            sni = ((javax.net.ssl.SNIHostName) n).getAsciiName();
                        }
                    }
                }
            }
            InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 65536);
            OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream(), 65536);
            while (!closed) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                Request req = parse(head, in, connection, sni);
                requests.add(req);
                Response res = new Response(out, req.method().equals("HEAD"));
                handler.handle(req, res);
                out.flush();
                String conn = req.header("Connection");
                if (res.closeAfter || (conn != null && conn.toLowerCase(Locale.ROOT).contains("close"))) {
                    return;
                }
            }
        } catch (SocketException e) {
            // peer went away: normal for tests that cut connections
        } catch (IOException e) {
            // same
        } finally {
            sockets.remove(s);
        }
    }

    /** Reads up to and including the empty line (CRLF CRLF); null at a clean EOF before any byte. */
    static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(512);
        int last4 = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new IOException("EOF inside a head");
            }
            b.write(c);
            last4 = (last4 << 8) | c;
            if (last4 == 0x0D0A0D0A) {
                return b.toByteArray();
            }
            if (b.size() > 1 << 20) {
                throw new IOException("head too large");
            }
        }
    }

    private Request parse(byte[] head, InputStream in, int connection, String sni) throws IOException {
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n");
        String requestLine = lines[0];
        String[] parts = requestLine.split(" ", 3);
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                break;
            }
            int colon = lines[i].indexOf(':');
            headers.add(new String[] {lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()});
        }
        MessageDigest sha = sha256();
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long length = 0;
        List<String[]> trailers = new ArrayList<>();
        String te = null;
        String cl = null;
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase("transfer-encoding")) {
                te = h[1];
            } else if (h[0].equalsIgnoreCase("content-length")) {
                cl = h[1];
            }
        }
        byte[] buf = new byte[65536];
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String sizeLine = readLine(in);
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    String line;
                    while (!(line = readLine(in)).isEmpty()) {
                        int colon = line.indexOf(':');
                        trailers.add(new String[] {line.substring(0, colon), line.substring(colon + 1).trim()});
                    }
                    break;
                }
                length += copy(in, size, sha, kept, buf);
                if (!readLine(in).isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
            }
        } else if (cl != null) {
            length = copy(in, Long.parseLong(cl.trim()), sha, kept, buf);
        }
        return new Request(name, connection, requestLine, parts[0], parts.length > 1 ? parts[1] : "", headers, head,
                kept.toByteArray(), length, HexFormat.of().formatHex(sha.digest()), trailers, sni);
    }

    private static long copy(InputStream in, long n, MessageDigest sha, ByteArrayOutputStream kept, byte[] buf)
            throws IOException {
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("EOF inside a body");
            }
            sha.update(buf, 0, r);
            if (kept.size() < (1 << 20)) {
                kept.write(buf, 0, (int) Math.min(r, (1 << 20) - kept.size()));
            }
            left -= r;
        }
        return n;
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("EOF inside a line");
            }
            if (c == '\n') {
                int len = b.length();
                if (len > 0 && b.charAt(len - 1) == '\r') {
                    b.setLength(len - 1);
                }
                return b.toString();
            }
            b.append((char) c);
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String reason(int status) {
        switch (status) {
            case 100: return "Continue";
            case 101: return "Switching Protocols";
            case 200: return "OK";
            case 204: return "No Content";
            case 304: return "Not Modified";
            case 404: return "Not Found";
            case 500: return "Internal Server Error";
            default: return "Status";
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Closes the server and every connection. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        threads.shutdownNow();
    }
}
