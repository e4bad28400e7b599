package dev.proxykit.runtime.config;

import java.nio.file.Path;

/**
 * {@code tls { ... }} under {@code proxykit}, overridable in a route: how {@code https} upstreams are verified.
 *
 * @param caFile   PEM file of CA certificates to trust instead of the JDK trust store, or {@code null}
 *                 ({@code ca-file}; relative paths resolve against the config file's folder)
 * @param insecure skip certificate and host name verification entirely; logged loudly ({@code insecure})
 */
public record TlsSettings(Path caFile, boolean insecure) {
}
