package dev.proxykit.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;

/** What an {@link EmbeddedChannel} wrote, for tests. */
public final class Written {

    private Written() {
    }

    /** Takes every buffer written to {@code ch} so far, releases it, and returns the bytes as ISO-8859-1 text. */
    public static String text(EmbeddedChannel ch) {
        StringBuilder b = new StringBuilder();
        ByteBuf m;
        while ((m = ch.readOutbound()) != null) {
            b.append(m.toString(StandardCharsets.ISO_8859_1));
            m.release();
        }
        return b.toString();
    }
}
