package dev.proxykit.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP/1.1 client on a plain socket, for tests that must send exact bytes and see exact bytes back: nothing is
 * canonicalised or added. Reads responses framed by Content-Length, chunked encoding or connection close. Every read
 * is bounded by a socket timeout (default 10 s).
 */
public final class RawHttpClient implements AutoCloseable {

    /** A response as received. Bodies are kept whole (tests keep them small) and hashed. */
    public record Response(int status, String reason, List<String[]> headers, byte[] body, String bodySha256,
                           long bodyLength, List<String[]> trailers, String rawHead) {

        public String header(String name) {
            return HeaderLines.first(headers, name);
        }

        public List<String> headers(String name) {
            return HeaderLines.all(headers, name);
        }

        public List<String> headerNames() {
            return HeaderLines.names(headers);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean keepBodies = true;

    public RawHttpClient(int port) throws IOException {
        this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(10_000);
        this.in = new BufferedInputStream(socket.getInputStream(), 65536);
        this.out = socket.getOutputStream();
    }

    /** Only hash bodies (for very large ones). */
    public RawHttpClient hashOnly() {
        keepBodies = false;
        return this;
    }

    public RawHttpClient timeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    public Socket socket() {
        return socket;
    }

    public OutputStream output() {
        return out;
    }

    /**
     * The buffered stream {@link #read()} reads from: after a response, the bytes that follow it (a tunnel's) may
     * already sit in its buffer, so read them here, never from {@code socket().getInputStream()}.
     */
    public InputStream input() {
        return in;
    }

    /** Sends text as ISO-8859-1 octets, exactly. */
    public RawHttpClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one response (a 1xx included) to a request that was not HEAD. */
    public Response read() throws IOException {
        return read(false);
    }

    /** Reads one response; {@code headRequest} says the body must be absent whatever the headers say. */
    public Response read(boolean headRequest) throws IOException {
        byte[] head = TestUpstream.readHead(in);
        if (head == null) {
            throw new IOException("connection closed before a response");
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        int code = Integer.parseInt(status[1]);
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int colon = lines[i].indexOf(':');
            headers.add(new String[] {lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()});
        }
        String te = null;
        String cl = null;
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase("transfer-encoding")) {
                te = h[1];
            } else if (h[0].equalsIgnoreCase("content-length")) {
                cl = h[1];
            }
        }
        MessageDigest sha = TestUpstream.sha256();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<String[]> trailers = new ArrayList<>();
        long length = 0;
        byte[] buf = new byte[65536];
        boolean noBody = headRequest || code < 200 || code == 204 || code == 304;
        if (noBody) {
            // nothing
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String sizeLine = TestUpstream.readLine(in);
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    String line;
                    while (!(line = TestUpstream.readLine(in)).isEmpty()) {
                        int colon = line.indexOf(':');
                        trailers.add(new String[] {line.substring(0, colon), line.substring(colon + 1).trim()});
                    }
                    break;
                }
                length += readExactly(size, sha, body, buf);
                if (!TestUpstream.readLine(in).isEmpty()) {
                    throw new IOException("chunk data not followed by CRLF");
                }
            }
        } else if (cl != null) {
            length = readExactly(Long.parseLong(cl.trim()), sha, body, buf);
        } else {
            int r;
            while ((r = in.read(buf)) >= 0) {
                sha.update(buf, 0, r);
                if (keepBodies) {
                    body.write(buf, 0, r);
                }
                length += r;
            }
        }
        return new Response(code, status.length > 2 ? status[2] : "", headers, body.toByteArray(),
                HexFormat.of().formatHex(sha.digest()), length, trailers, text);
    }

    private long readExactly(long n, MessageDigest sha, ByteArrayOutputStream body, byte[] buf) throws IOException {
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("connection closed with " + left + " body bytes missing");
            }
            sha.update(buf, 0, r);
            if (keepBodies) {
                body.write(buf, 0, r);
            }
            left -= r;
        }
        return n;
    }

    /** Sends a request and reads its response. */
    public Response exchange(String request) throws IOException {
        send(request);
        return read(request.startsWith("HEAD "));
    }

    /**
     * Whether the server closed the connection: waits up to {@code millis} for EOF (or a reset). Returns false if the
     * connection is still open (or data arrives) when the time is up.
     */
    public boolean isClosedByPeer(int millis) throws IOException {
        int before = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(before);
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
