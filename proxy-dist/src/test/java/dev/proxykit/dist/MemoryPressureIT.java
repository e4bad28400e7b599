package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.dist.HttpWire.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients that stop reading large downloads, against the launched proxy with a small direct-memory cap: past
 * half of the cap the proxy buffers less for each slow peer, so no download fails for want of memory, every one goes
 * on once its client reads again, and other clients are served meanwhile.
 */
class MemoryPressureIT {

    private static final int STALLED = 300;
    private static final long BODY = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void clientsThatStopReadingLargeDownloadsDoNotExhaustDirectMemory() throws Exception {
        Path home = Installation.unpack(dir);
        try (Downloads upstream = new Downloads()) {
            int port = Installation.freePort();
            Path conf = Files.writeString(dir.resolve("pressure.conf"), "proxykit {\n  listen = \"127.0.0.1:" + port
                    + "\"\n  workers = 1\n  access-log = off\n"
                    + "  routes = [{ upstreams = [\"http://127.0.0.1:" + upstream.port() + "\"] }]\n}\n");
            // 32 MiB of direct memory: at the usual 256-512 KiB queued per stalled client, 300 of them need 3 times that
            try (Launched proxy = Launched.start(home, "-Dio.netty.leakDetection.level=paranoid"
                    + " -XX:MaxDirectMemorySize=32m", "--config", conf.toString())) {
                proxy.awaitStdout("listening on");
                List<Socket> stalled = new ArrayList<>();
                try {
                    for (int i = 0; i < STALLED; i++) {
                        Socket s = new Socket();
                        s.setReceiveBufferSize(4096);
                        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                        s.setSoTimeout(HttpWire.READ_TIMEOUT_MILLIS);
                        s.getOutputStream().write(("GET /big/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        stalled.add(s);
                    }
                    upstream.awaitStalled(STALLED);

                    Response small = HttpWire.exchange(port, "GET /small HTTP/1.1\r\nHost: a\r\n\r\n");
                    assertEquals(200, small.status(), small.text());
                    assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), small.body());

                    // every download goes on: a head, then a whole MiB of body for each
                    byte[] buf = new byte[64 * 1024];
                    for (Socket s : stalled) {
                        InputStream in = s.getInputStream();
                        String head = readHead(in);
                        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                        long got = 0;
                        while (got < (1 << 20)) {
                            int n = in.read(buf);
                            assertTrue(n > 0, "download " + stalled.indexOf(s) + " ended after " + got + " bytes");
                            got += n;
                        }
                    }
                } finally {
                    for (Socket s : stalled) {
                        s.close();
                    }
                }
                assertEquals(0, proxy.terminate(), proxy.describe());
                String out = proxy.stdout() + Files.readString(home.resolve("logs/proxykit.log"));
                assertFalse(out.contains("OutOfDirectMemoryError"), proxy.describe());
                assertFalse(out.contains("internal_error"), proxy.describe());
                assertFalse(out.contains("LEAK:"), proxy.describe());
            }
        }
    }

    /** The bytes up to the blank line that ends a head, as ISO-8859-1 text; an {@code IOException} at EOF. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after '" + head + "'");
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /**
     * An upstream that answers {@code /small} with {@code hello} and anything else with a 1 GiB body, written by a
     * thread per connection as fast as the proxy takes it.
     */
    private static final class Downloads implements AutoCloseable {

        private final ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        private final AtomicLong written = new AtomicLong();
        private final AtomicLong downloads = new AtomicLong();
        private final List<Socket> accepted = new ArrayList<>();

        Downloads() throws IOException {
            Thread acceptor = new Thread(this::accept, "downloads");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            try {
                while (true) {
                    Socket s = server.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                    Thread t = new Thread(() -> serve(s), "download");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException closed) {
                // closed by the test
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head.startsWith("GET /small ")) {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII));
                        continue;
                    }
                    downloads.incrementAndGet();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + BODY + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[64 * 1024];
                    for (long sent = 0; sent < BODY; sent += chunk.length) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                }
            } catch (IOException closed) {
                // the proxy closed the connection
            }
        }

        /** Waits until {@code count} downloads have started and no byte has been written for half a second. */
        void awaitStalled(int count) throws InterruptedException {
            long deadline = System.nanoTime() + Launched.PATIENCE.toNanos();
            long last = -1;
            while (System.nanoTime() < deadline) {
                long now = written.get();
                if (downloads.get() >= count && now == last) {
                    return;
                }
                last = now;
                Thread.sleep(500);
            }
            throw new AssertionError(downloads.get() + " downloads of " + count + " started, still writing");
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }
}
