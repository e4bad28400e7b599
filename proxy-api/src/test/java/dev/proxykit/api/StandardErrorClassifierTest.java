package dev.proxykit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class StandardErrorClassifierTest {

    /** The documented table, for every phase but the ones IDLE_TIMEOUT distinguishes. */
    private static final Map<FailureKind, Classification> TABLE = new EnumMap<>(FailureKind.class);

    static {
        TABLE.put(FailureKind.CLIENT_CLOSED, new Classification(499, "client_closed"));
        TABLE.put(FailureKind.SHUTDOWN, new Classification(503, "shutdown"));
        TABLE.put(FailureKind.CLIENT_TIMEOUT, new Classification(408, "client_timeout"));
        TABLE.put(FailureKind.CLIENT_PROTOCOL_ERROR, new Classification(400, "bad_request"));
        TABLE.put(FailureKind.NO_UPSTREAM, new Classification(503, "no_live_upstream"));
        TABLE.put(FailureKind.CONNECT_REFUSED, new Classification(502, "upstream_refused"));
        TABLE.put(FailureKind.CONNECT_TIMEOUT, new Classification(504, "upstream_connect_timeout"));
        TABLE.put(FailureKind.TLS_FAILURE, new Classification(502, "upstream_tls_failure"));
        TABLE.put(FailureKind.UPSTREAM_CLOSED, new Classification(502, "upstream_closed"));
        TABLE.put(FailureKind.RESPONSE_HEADER_TIMEOUT, new Classification(504, "upstream_response_header_timeout"));
        TABLE.put(FailureKind.IDLE_TIMEOUT, new Classification(504, "upstream_idle_timeout"));
        TABLE.put(FailureKind.INVALID_RESPONSE, new Classification(502, "upstream_invalid_response"));
        TABLE.put(FailureKind.PLUGIN_FAILURE, new Classification(500, "plugin_failure"));
        TABLE.put(FailureKind.INTERNAL, new Classification(500, "internal_error"));
    }

    private static Classification classify(Phase phase, FailureKind kind) {
        return ErrorClassifier.standard().classify(new ProxyError(phase, kind, new IOException("boom"), false));
    }

    @Test
    void theTableCoversEveryFailureKind() {
        assertEquals(FailureKind.values().length, TABLE.size(), "a FailureKind was added: document and test it");
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void mapsEachKindToItsDocumentedStatusAndReasonInEveryPhase(FailureKind kind) {
        for (Phase phase : Phase.values()) {
            Classification expected = kind == FailureKind.IDLE_TIMEOUT && phase == Phase.CLIENT_READ
                    ? new Classification(408, "client_timeout")
                    : TABLE.get(kind);
            assertEquals(expected, classify(phase, kind), kind + " in " + phase);
        }
    }

    @Test
    void clientFailuresAreTheClientsFaultAndUpstreamFailuresAreNot() {
        assertEquals(499, classify(Phase.STREAM_RESPONSE, FailureKind.CLIENT_CLOSED).status());
        assertTrue(classify(Phase.STREAM_RESPONSE, FailureKind.CLIENT_CLOSED).isClientFault());
        assertEquals(502, classify(Phase.CONNECT, FailureKind.CONNECT_REFUSED).status());
        assertFalse(classify(Phase.CONNECT, FailureKind.CONNECT_REFUSED).isClientFault());
        assertEquals(503, classify(Phase.SELECT_UPSTREAM, FailureKind.NO_UPSTREAM).status());
        assertEquals(504, classify(Phase.CONNECT, FailureKind.CONNECT_TIMEOUT).status());
        assertEquals(504, classify(Phase.AWAIT_RESPONSE_HEAD, FailureKind.RESPONSE_HEADER_TIMEOUT).status());
    }

    @Test
    void idleTimeoutIs408WhileReadingTheClientAnd504Elsewhere() {
        assertEquals(new Classification(408, "client_timeout"), classify(Phase.CLIENT_READ, FailureKind.IDLE_TIMEOUT));
        assertEquals(new Classification(504, "upstream_idle_timeout"),
                classify(Phase.STREAM_RESPONSE, FailureKind.IDLE_TIMEOUT));
        assertEquals(new Classification(504, "upstream_idle_timeout"), classify(Phase.TUNNEL, FailureKind.IDLE_TIMEOUT));
    }

    @Test
    void classifiesWithoutACauseAndWhenTheResponseHasStarted() {
        ProxyError noCause = new ProxyError(Phase.SELECT_UPSTREAM, FailureKind.NO_UPSTREAM, null, false);
        assertEquals(new Classification(503, "no_live_upstream"), ErrorClassifier.standard().classify(noCause));
        ProxyError started = new ProxyError(Phase.STREAM_RESPONSE, FailureKind.UPSTREAM_CLOSED, null, true);
        assertEquals(new Classification(502, "upstream_closed"), ErrorClassifier.standard().classify(started));
    }

    @Test
    void standardIsASingleton() {
        assertSame(ErrorClassifier.standard(), ErrorClassifier.standard());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 200, 399, 600, 999, -1})
    void classificationRejectsStatusesOutside400To599(int status) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Classification(status, "reason"));
        assertEquals("status: " + status + " (expected: 400 to 599)", e.getMessage());
    }

    @Test
    void classificationAcceptsTheBoundaries() {
        assertEquals(400, new Classification(400, "a").status());
        assertEquals(599, new Classification(599, "b").status());
        assertTrue(new Classification(499, "c").isClientFault());
        assertFalse(new Classification(500, "d").isClientFault());
    }

    @Test
    void classificationRejectsEmptyAndNullReasons() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Classification(502, ""));
        assertTrue(e.getMessage().startsWith("reason: \"\""), e.getMessage());
        NullPointerException npe = assertThrows(NullPointerException.class, () -> new Classification(502, null));
        assertEquals("reason", npe.getMessage());
    }

    @Test
    void classificationEqualityIsByStatusAndReason() {
        assertEquals(new Classification(502, "x"), new Classification(502, "x"));
        assertEquals(new Classification(502, "x").hashCode(), new Classification(502, "x").hashCode());
        assertNotEquals(new Classification(502, "x"), new Classification(504, "x"));
        assertNotEquals(new Classification(502, "x"), new Classification(502, "y"));
        assertEquals("502 upstream_refused", new Classification(502, "upstream_refused").toString());
    }

    @Test
    void proxyErrorRequiresPhaseAndKind() {
        assertThrows(NullPointerException.class, () -> new ProxyError(null, FailureKind.INTERNAL, null, false));
        assertThrows(NullPointerException.class, () -> new ProxyError(Phase.CONNECT, null, null, false));
    }
}
