package dev.proxykit.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty reports a leaked buffer. Registered for every test class (JUnit extension
 * auto-detection); needs {@code -Dio.netty.customResourceLeakDetector=dev.proxykit.testing.RecordingLeakDetector}
 * and paranoid leak detection, which the build sets. After each test it collects garbage and allocates a few
 * buffers so that the detector looks at what was collected.
 */
public final class LeakGuard implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new IllegalStateException("tests must run with -Dio.netty.leakDetection.level=paranoid (now "
                    + ResourceLeakDetector.getLevel() + ")");
        }
        if (!Boolean.getBoolean("proxykit.test.leakGuardOptional")
                && !RecordingLeakDetector.class.getName().equals(
                        System.getProperty("io.netty.customResourceLeakDetector"))) {
            throw new IllegalStateException("tests must run with -Dio.netty.customResourceLeakDetector="
                    + RecordingLeakDetector.class.getName());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context.getDisplayName() + " (after all)");
    }

    private static void check(String where) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (ByteBufAllocator a : new ByteBufAllocator[] {
                ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT}) {
                a.directBuffer(8).release();
                a.heapBuffer(8).release();
            }
        }
        if (!RecordingLeakDetector.LEAKS.isEmpty()) {
            List<String> leaks = new ArrayList<>(RecordingLeakDetector.LEAKS);
            RecordingLeakDetector.LEAKS.clear();
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) detected during or before " + where
                    + ":\n" + String.join("\n\n", leaks));
        }
    }
}
