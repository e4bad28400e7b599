package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.proxykit.api.Classification;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.FailureKind;
import dev.proxykit.api.Phase;
import dev.proxykit.api.ProxyError;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class DefaultErrorClassifierTest {

    private static ErrorClassifier create(String hocon) {
        return new DefaultErrorClassifierFactory().create(TestPluginContext.of("default", hocon));
    }

    @Test
    void isTheStandardClassifier() {
        ErrorClassifier classifier = create("");
        assertSame(ErrorClassifier.standard(), classifier);
        assertEquals(new Classification(502, "upstream_refused"), classifier.classify(
                new ProxyError(Phase.CONNECT, FailureKind.CONNECT_REFUSED, new ConnectException("refused"), false)));
        assertEquals(new Classification(499, "client_closed"), classifier.classify(
                new ProxyError(Phase.STREAM_RESPONSE, FailureKind.CLIENT_CLOSED, null, true)));
    }

    @Test
    void hasNoSettingsAndRejectsAnyKey() {
        assertInvalid(() -> create("status-for-refused = 503"), "status-for-refused", "default",
                "expected: no settings");
    }
}
