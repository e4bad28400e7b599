package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyEngineTest {

    @TempDir
    Path dir;

    /** A fixed receive buffer only where the kernel would not cap it below what was asked for. */
    @Test
    void theUpstreamReceiveBufferFallsBackToAutomaticSizingWhereTheKernelWouldCapIt() throws Exception {
        int twoMiB = 2 * 1024 * 1024;
        Path tuned = Files.writeString(dir.resolve("tuned"), "4194304\n");
        Path stock = Files.writeString(dir.resolve("stock"), "212992\n");
        assertEquals(twoMiB, ProxyEngine.upstreamReceiveBuffer(twoMiB, tuned));
        assertEquals(twoMiB, ProxyEngine.upstreamReceiveBuffer(twoMiB, Files.writeString(dir.resolve("equal"), "2097152")));
        assertEquals(0, ProxyEngine.upstreamReceiveBuffer(twoMiB, stock), "capped at 208 KiB: automatic sizing");
        assertEquals(65536, ProxyEngine.upstreamReceiveBuffer(65536, stock));
        assertEquals(0, ProxyEngine.upstreamReceiveBuffer(0, tuned), "auto");
        assertEquals(0, ProxyEngine.upstreamReceiveBuffer(twoMiB, dir.resolve("missing")), "not Linux: automatic sizing");
    }
}
