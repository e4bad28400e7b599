package dev.proxykit.netty;

import dev.proxykit.runtime.config.TlsSettings;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client TLS for {@code https} upstreams: certificates verified against the JDK trust store or a configured CA file,
 * host names verified (HTTPS endpoint identification), SNI sent for host names; or, only when {@code insecure} is
 * set, no verification at all, announced with a warning at start-up.
 */
public final class UpstreamTls {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamTls.class);

    private UpstreamTls() {
    }

    /**
     * Builds the context for a route. Runs at start-up (reads the CA file).
     *
     * @param routeName for the warning when verification is off
     * @throws IOException when the CA file cannot be read or holds no certificate
     */
    public static SslContext clientContext(TlsSettings tls, String routeName) throws IOException {
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2");
        if (tls.insecure()) {
            LOG.warn("INSECURE: route {} sends https requests WITHOUT verifying upstream certificates or host names "
                    + "(tls.insecure = true); anyone on the path can read and change the traffic", routeName);
            b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            if (tls.caFile() != null) {
                if (!Files.isReadable(tls.caFile())) {
                    throw new IOException("cannot read CA file " + tls.caFile());
                }
                try {
                    b.trustManager(tls.caFile().toFile());
                } catch (IllegalArgumentException e) {
                    throw new IOException("CA file " + tls.caFile() + " holds no usable PEM certificate: "
                            + e.getMessage(), e);
                }
            }
            b.endpointIdentificationAlgorithm("HTTPS");
        }
        try {
            return b.build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("cannot build the TLS context"
                    + (tls.caFile() == null ? "" : " from CA file " + tls.caFile()) + ": " + e.getMessage(), e);
        }
    }
}
