package dev.proxykit.dist;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, byte for byte, for tests: what is written is exactly what the test wrote (no header
 * canonicalisation), and responses are read with their header lines as received. Reads time out after
 * {@value #READ_TIMEOUT_MILLIS} ms so that no test hangs.
 */
final class HttpWire implements AutoCloseable {

    static final int READ_TIMEOUT_MILLIS = 30_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private HttpWire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects to 127.0.0.1:{@code port}. */
    static HttpWire connect(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        return new HttpWire(socket);
    }

    /** One request on a new connection, and its response. */
    static Response exchange(int port, String request) throws IOException {
        try (HttpWire wire = connect(port)) {
            wire.send(request);
            return wire.read();
        }
    }

    /** Writes {@code request} as ISO-8859-1 bytes, exactly as given. */
    void send(String request) throws IOException {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads one response: the head, then a {@code Content-Length} body or, without one, everything until EOF. */
    Response read() throws IOException {
        Response head = readHead();
        String length = head.header("Content-Length");
        byte[] body = length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
        if (length != null && body.length != Integer.parseInt(length)) {
            throw new EOFException("body: " + body.length + " bytes (expected: " + length + ")");
        }
        return new Response(head.status(), head.headerLines(), body);
    }

    /** Reads a response head only, as for a response to HEAD; its body is empty. */
    Response readHead() throws IOException {
        String statusLine = readLine();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("status line: '" + statusLine + "' (expected: HTTP/1.x NNN reason)");
        }
        List<String> headers = new ArrayList<>();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            headers.add(line);
        }
        return new Response(Integer.parseInt(parts[1]), headers, new byte[0]);
    }

    /** {@code true} when the server has closed the connection (the next read sees end of stream). */
    boolean closedByPeer() throws IOException {
        return in.read() == -1;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed after '" + line.toString(StandardCharsets.ISO_8859_1)
                        + "'");
            }
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A response: status, header lines as received ({@code Name: value}), body bytes. */
    record Response(int status, List<String> headerLines, byte[] body) {

        /** The first value of the header {@code name} (any case), or {@code null}. */
        String header(String name) {
            for (String line : headerLines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).toLowerCase(Locale.ROOT)
                        .equals(name.toLowerCase(Locale.ROOT))) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
