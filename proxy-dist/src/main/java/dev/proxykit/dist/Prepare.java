package dev.proxykit.dist;

import com.typesafe.config.Config;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code proxykit --prepare}: a short training run whose only product is the class-data archive that
 * {@code bin/proxykit} has the JVM record as it exits. The run does what a start and its first requests do (read the
 * configuration, load the plugins, start logging, bind, proxy requests with and without bodies to an upstream), so
 * the archive holds those classes and the next start maps them instead of loading them one by one.
 *
 * <p>It runs the configuration file's settings with two replaced: the proxy listens on a free loopback port, and its
 * one route goes to an {@link EchoServer} on another, so that nothing is sent to the configured upstreams and no
 * configured port needs to be free. The route's access log goes to the SLF4J logger {@value #ACCESS_LOGGER} (off in
 * the shipped logging configuration), not to {@code logs/access.log}. Stateless.
 */
final class Prepare {

    /** The origin the training configuration's own values are reported with. */
    static final String ORIGIN = "--prepare training configuration";

    /** The logger the training route's access log writes to. */
    static final String ACCESS_LOGGER = "proxykit.prepare";

    /** Connections opened through the proxy; each carries {@link #REQUESTS_PER_CONNECTION} requests. */
    static final int CONNECTIONS = 8;

    static final int REQUESTS_PER_CONNECTION = 4;

    private static final int TIMEOUT_MILLIS = 10_000;
    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private Prepare() {
    }

    /**
     * The training configuration's HOCON text: the file's settings (when there is a file), then the
     * {@code proxykit.*} entries of {@code properties}, then the listen address and the route of the training run.
     *
     * @param file         an absolute path to a readable configuration file, or {@code null}
     * @param properties   usually {@code ConfigFactory.systemProperties()}; entries outside {@code proxykit} are
     *                     ignored
     * @param upstreamPort the loopback port of the echo upstream
     */
    static String config(Path file, Config properties, int upstreamPort) {
        StringBuilder text = new StringBuilder();
        if (file != null) {
            text.append("include required(file(").append(Demo.quote(file.toString())).append("))\n");
        }
        return text.append(Demo.properties(properties)).append(String.join("\n",
                "proxykit {",
                "  listen = \"127.0.0.1:0\"",
                "  routes = [",
                "    {",
                "      name = prepare",
                "      upstreams = [\"http://127.0.0.1:" + upstreamPort + "\"]",
                "      access-log { type = combined, logger = \"" + ACCESS_LOGGER + "\" }",
                "    }",
                "  ]",
                "}",
                "")).toString();
    }

    /**
     * Sends {@link #CONNECTIONS} times {@link #REQUESTS_PER_CONNECTION} requests through the proxy at
     * {@code proxy} (a GET, a HEAD, a POST with a Content-Length body and a chunked POST, each connection closed by its
     * last request) and reads every response. Blocks; for the launcher's thread.
     *
     * @return the number of responses read, every one of them a 200
     * @throws IOException when a connection fails or a response is not a 200 with a readable body
     */
    static int exercise(InetSocketAddress proxy) throws IOException {
        int responses = 0;
        for (int c = 0; c < CONNECTIONS; c++) {
            try (Socket socket = new Socket()) {
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.connect(proxy, TIMEOUT_MILLIS);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream());
                String host = "Host: " + Main.authority(proxy) + "\r\n";
                String[] requests = {
                    "GET /prepare/" + c + "?q=1 HTTP/1.1\r\n" + host + "User-Agent: proxykit-prepare\r\n\r\n",
                    "HEAD /prepare/" + c + " HTTP/1.1\r\n" + host + "\r\n",
                    "POST /prepare/" + c + " HTTP/1.1\r\n" + host + "Content-Type: text/plain\r\n"
                            + "Content-Length: 5\r\n\r\nhello",
                    "POST /prepare/" + c + " HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n"
                            + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                };
                for (String request : requests) {
                    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    readResponse(in, request.startsWith("HEAD "));
                    responses++;
                }
            }
        }
        return responses;
    }

    /** Reads one response with a Content-Length body (the echo upstream's kind) and checks that it is a 200. */
    private static void readResponse(InputStream in, boolean head) throws IOException {
        StringBuilder text = new StringBuilder();
        int last4 = 0;
        while (last4 != 0x0D0A0D0A) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the proxy closed the connection before a whole response head (" + text + ")");
            }
            if (text.length() >= MAX_HEAD_BYTES) {
                throw new IOException("response head over " + MAX_HEAD_BYTES + " bytes");
            }
            text.append((char) b);
            last4 = (last4 << 8) | b;
        }
        String[] lines = text.toString().split("\r\n");
        if (!lines[0].startsWith("HTTP/1.1 200 ")) {
            throw new IOException("expected a 200 response, got: " + lines[0]);
        }
        long length = 0;
        for (String line : lines) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring("content-length:".length()).trim());
            }
        }
        if (head) {
            return;
        }
        for (long left = length; left > 0; left--) {
            if (in.read() < 0) {
                throw new EOFException("the proxy closed the connection with " + left + " body bytes missing");
            }
        }
    }
}
