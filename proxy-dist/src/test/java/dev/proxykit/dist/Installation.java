package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A fresh installation for a test: the built tarball unpacked with {@code tar} into a folder. */
final class Installation {

    private Installation() {
    }

    /** Unpacks the tarball into {@code dir} and returns the installation's home, {@code dir/proxykit-<version>}. */
    static Path unpack(Path dir) throws IOException, InterruptedException {
        Path tarball = Path.of(System.getProperty("proxykit.dist.tarball"));
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", dir.toString())
                .redirectErrorStream(true).start();
        assertTrue(tar.waitFor(120, TimeUnit.SECONDS), "tar -xzf " + tarball + " still running after 120s");
        assertEquals(0, tar.exitValue(), new String(tar.getInputStream().readAllBytes()));
        Path home = dir.resolve("proxykit-" + System.getProperty("proxykit.version"));
        assertTrue(Files.isExecutable(home.resolve("bin/proxykit")), home + "/bin/proxykit is executable");
        return home;
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
