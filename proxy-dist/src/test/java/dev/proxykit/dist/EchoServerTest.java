package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.dist.HttpWire.Response;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EchoServerTest {

    private EchoServer server;

    @BeforeEach
    void start() throws IOException {
        server = EchoServer.start(0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answersWithItsNameAndTheRequestHeadExactlyAsReceived() throws IOException {
        String head = "GET /a//b?x=1&y HTTP/1.1\r\n"
                + "Host: example.test\r\n"
                + "X-MiXeD: One\r\n"
                + "x-lower:two\r\n"
                + "X-UPPER:   three  \r\n"
                + "x-mixed: second\r\n";

        Response response = HttpWire.exchange(server.port(), head + "\r\n");

        assertEquals(200, response.status());
        assertEquals("text/plain; charset=utf-8", response.header("Content-Type"));
        assertEquals("keep-alive", response.header("Connection"));
        assertEquals(String.valueOf(response.body().length), response.header("Content-Length"));
        assertEquals("served by upstream 127.0.0.1:" + server.port() + "\n\n" + head + "\nbody: 0 bytes\n",
                response.text());
    }

    @Test
    void keepsTheConnectionOpenForTheNextRequest() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            Response first = wire.read();
            wire.send("GET /second HTTP/1.1\r\nHost: a\r\n\r\n");
            Response second = wire.read();

            assertTrue(first.text().contains("GET /first HTTP/1.1\r\n"), first.text());
            assertTrue(second.text().contains("GET /second HTTP/1.1\r\n"), second.text());
            assertEquals("keep-alive", second.header("Connection"));
        }
    }

    @Test
    void readsAChunkedBodyWithExtensionsAndTrailersAndKeepsTheConnection() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n"
                    + "6;name=value\r\n world\r\n"
                    + "0\r\nX-Trailer: t\r\n\r\n");
            Response upload = wire.read();
            wire.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            Response after = wire.read();

            assertEquals(200, upload.status());
            assertTrue(upload.text().endsWith("\nbody: 11 bytes\n"), upload.text());
            assertTrue(after.text().contains("GET /after HTTP/1.1\r\n"), after.text());
            assertTrue(after.text().endsWith("\nbody: 0 bytes\n"), after.text());
        }
    }

    @Test
    void readsAContentLengthBodyAndThenAPipelinedRequest() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\nabcdefg"
                    + "GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
            Response put = wire.read();
            Response get = wire.read();

            assertTrue(put.text().endsWith("\nbody: 7 bytes\n"), put.text());
            assertTrue(get.text().contains("GET /y HTTP/1.1\r\n"), get.text());
        }
    }

    @Test
    void answersHeadWithoutABody() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n");
            Response head = wire.readHead();
            Response get = wire.read();

            assertEquals(200, head.status());
            assertTrue(Integer.parseInt(head.header("Content-Length")) > 0, head.headerLines().toString());
            assertTrue(get.text().startsWith("served by upstream"), get.text());
            assertTrue(get.text().contains("GET /g HTTP/1.1\r\n"), get.text());
        }
    }

    @Test
    void closesTheConnectionWhenTheClientAsksTo() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("GET /bye HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            Response response = wire.read();

            assertEquals("close", response.header("Connection"));
            assertTrue(wire.closedByPeer());
        }
    }

    @Test
    void closesAnHttp10ConnectionWithoutKeepAlive() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("GET /old HTTP/1.0\r\n\r\n");
            Response response = wire.read();

            assertEquals(200, response.status());
            assertEquals("close", response.header("Connection"));
            assertTrue(wire.closedByPeer());
        }
    }

    @Test
    void rejectsAMalformedHeaderLineWith400AndCloses() throws IOException {
        try (HttpWire wire = HttpWire.connect(server.port())) {
            wire.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header : x\r\n\r\n");
            Response response = wire.read();

            assertEquals(400, response.status());
            assertTrue(response.text().contains("Bad Header : x"), response.text());
            assertTrue(wire.closedByPeer());
        }
    }

    @Test
    void rejectsContentLengthTogetherWithChunked() throws IOException {
        Response response = HttpWire.exchange(server.port(),
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

        assertEquals(400, response.status());
    }

    @Test
    void answersATooLargeHeadWith431() throws IOException {
        String huge = "X-Big: " + "a".repeat(EchoServer.MAX_HEAD_BYTES) + "\r\n";
        Response response = HttpWire.exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\n" + huge + "\r\n");

        assertEquals(431, response.status());
    }

    @Test
    void servesSeveralConnectionsAtOnce() throws IOException {
        try (HttpWire idle = HttpWire.connect(server.port()); HttpWire busy = HttpWire.connect(server.port())) {
            idle.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
            idle.read();
            busy.send("GET /two HTTP/1.1\r\nHost: a\r\n\r\n");

            assertTrue(busy.read().text().contains("GET /two HTTP/1.1\r\n"));
        }
    }

    @Test
    void closeReleasesThePortAndEndsOpenConnections() throws IOException {
        int port = server.port();
        try (HttpWire wire = HttpWire.connect(port)) {
            wire.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            wire.read();

            server.close();

            assertTrue(wire.closedByPeer());
        }
        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
        try (ServerSocket rebound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, rebound.getLocalPort());
        }
    }

    @Test
    void refusesToStartOnAPortInUse() throws IOException {
        assertThrows(IOException.class, () -> EchoServer.start(server.port()));
    }
}
