package dev.proxykit.testing;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.net.ssl.SSLContext;

/**
 * The test PKI under {@code src/test/resources/tls}: a CA ({@code ca.pem}) and a server certificate for
 * {@code localhost} and {@code 127.0.0.1} ({@code server.pem}, {@code server.key}), valid for a century.
 */
public final class TestTls {

    private TestTls() {
    }

    /** The CA certificate as a file (copied out of the class path). */
    public static Path caFile() {
        return resource("tls/ca.pem");
    }

    /** A JDK SSLContext serving the test server certificate. */
    public static SSLContext serverContext() {
        try {
            JdkSslContext ctx = (JdkSslContext) SslContextBuilder
                    .forServer(resource("tls/server.pem").toFile(), resource("tls/server.key").toFile())
                    .sslProvider(SslProvider.JDK)
                    .build();
            return ctx.context();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path resource(String name) {
        try (InputStream in = TestTls.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            Path tmp = Files.createTempFile("proxykit-test-", "-" + name.replace('/', '-'));
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
