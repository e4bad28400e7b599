package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Phase;
import java.net.InetSocketAddress;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class CombinedAccessLoggerTest {

    private static final CombinedFormat UTC = new CombinedFormat(ZoneOffset.UTC);

    private static String line(AccessRecord.Builder record) {
        return UTC.apply(record.build());
    }

    private static AccessLogger create(String hocon) {
        return new CombinedAccessLoggerFactory().create(TestPluginContext.of("combined", hocon));
    }

    @Test
    void formatsASuccessfulExchangeAsCombinedPlusUpstreamAndTimings() {
        assertEquals("127.0.0.1 - - [21/Nov/2026:10:15:30 +0000] \"GET /a?b=1 HTTP/1.1\" 200 13 \"-\" \"curl/8.0\""
                + " upstream=127.0.0.1:9292 route=route-0 rt=0.012 uct=0.001 uht=0.010 urt=0.011 attempts=1",
                line(AccessRecords.sample()));
    }

    @Test
    void appendsErrorAndPhaseOnlyWhenTheExchangeFailed() {
        AccessRecord.Builder failed = AccessRecords.sample().status(502).responseBodyBytes(0).referer("http://r/")
                .totalNanos(3_000_000).connectNanos(-1).upstreamHeaderNanos(-1).upstreamTotalNanos(-1)
                .failure(Phase.CONNECT, "upstream_refused");
        assertEquals("127.0.0.1 - - [21/Nov/2026:10:15:30 +0000] \"GET /a?b=1 HTTP/1.1\" 502 0 \"http://r/\""
                + " \"curl/8.0\" upstream=127.0.0.1:9292 route=route-0 rt=0.003 uct=- uht=- urt=- attempts=1"
                + " error=upstream_refused phase=CONNECT", line(failed));
    }

    @Test
    void listsTheUpstreamsTriedWhenARetryMovedTheRequest() {
        AccessRecord.Builder retried = AccessRecords.sample().upstream("127.0.0.1:9293").attempts(2)
                .upstreams(java.util.List.of("127.0.0.1:9292", "127.0.0.1:9293"));
        assertTrue(line(retried).endsWith(" upstream=127.0.0.1:9293 route=route-0 rt=0.012 uct=0.001 uht=0.010"
                + " urt=0.011 attempts=2 tried=127.0.0.1:9292,127.0.0.1:9293"), line(retried));
        assertFalse(line(AccessRecords.sample()).contains("tried="), "one upstream: no list");
    }

    @Test
    void namesTheClientBehindTrustedProxiesAfterThePeerOnlyWhenThereIsOne() {
        String line = line(AccessRecords.sample().realClientIp("203.0.113.7")
                .failure(Phase.CONNECT, "upstream_refused"));
        assertTrue(line.startsWith("127.0.0.1 - - ["), line);
        assertTrue(line.endsWith(" attempts=1 real_client=203.0.113.7 error=upstream_refused phase=CONNECT"), line);
        assertFalse(line(AccessRecords.sample()).contains("real_client="));
    }

    @Test
    void writesADashForEveryAbsentValue() {
        assertEquals("- - - [21/Nov/2026:10:15:30 +0000] \"-\" 400 0 \"-\" \"-\" upstream=- route=- rt=- uct=- uht=-"
                + " urt=- attempts=0", line(AccessRecords.empty()));
    }

    @Test
    void writesIpv6ClientsWithoutBrackets() {
        AccessRecord.Builder v6 = AccessRecords.sample().clientAddress(
                new InetSocketAddress(AccessRecords.ip(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 5));
        assertTrue(line(v6).startsWith("::1 - - ["), "as nginx writes it: " + line(v6));
    }

    @Test
    void roundsDurationsToMillisecondsLikeNginx() {
        assertTrue(line(AccessRecords.sample().totalNanos(0)).contains(" rt=0.000 "));
        assertTrue(line(AccessRecords.sample().totalNanos(12_499_999)).contains(" rt=0.012 "));
        assertTrue(line(AccessRecords.sample().totalNanos(12_500_000)).contains(" rt=0.013 "));
        assertTrue(line(AccessRecords.sample().totalNanos(999_600_000)).contains(" rt=1.000 "));
        assertTrue(line(AccessRecords.sample().totalNanos(1_234_567_890_123L)).contains(" rt=1234.568 "));
        assertTrue(line(AccessRecords.sample().connectNanos(0)).contains(" uct=0.000 "));
    }

    @Test
    void escapesQuotesBackslashesControlAndNonAsciiOctetsAsNginxDoes() {
        AccessRecord.Builder nasty = AccessRecords.sample()
                .target("/a\"b\\c\u007f")
                .referer("caf\u00e9\u0000")
                .userAgent("tab\there\r\n\"quoted\"")
                .route("r 1")
                .failure(Phase.TUNNEL, "odd\u001breason");
        String line = line(nasty);
        assertTrue(line.contains("\"GET /a\\x22b\\x5Cc\\x7F HTTP/1.1\""), line);
        assertTrue(line.contains(" \"caf\\xE9\\x00\" "), line);
        assertTrue(line.contains(" \"tab\\x09here\\x0D\\x0A\\x22quoted\\x22\" "), line);
        assertTrue(line.contains(" route=r 1 "), line);
        assertTrue(line.endsWith(" error=odd\\x1Breason phase=TUNNEL"), line);
    }

    @Test
    void escapesCharsThatAreNotOctetsAsTheirUtf8Bytes() {
        String line = line(AccessRecords.sample().userAgent("snow\u2603 smile\ud83d\ude00"));
        assertTrue(line.contains("\"snow\\xE2\\x98\\x83 smile\\xF0\\x9F\\x98\\x80\""), line);
    }

    @Test
    void everyLineIsPrintableAscii() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x100; c++) {
            all.append(c);
        }
        String line = line(AccessRecords.sample().userAgent(all.toString()).referer(all.toString()));
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7F), line);
    }

    @Test
    void usesTheGivenZonesOffsetAndEnglishMonthNames() {
        String paris = new CombinedFormat(ZoneId.of("Europe/Paris")).apply(AccessRecords.sample().build());
        assertTrue(paris.contains("[21/Nov/2026:11:15:30 +0100]"), paris);
        String kolkata = new CombinedFormat(ZoneId.of("Asia/Kolkata"))
                .apply(AccessRecords.sample().startEpochMillis(AccessRecords.START - 86_400_000L * 300).build());
        assertTrue(kolkata.contains("[25/Jan/2026:15:45:30 +0530]"), kolkata);
    }

    @Test
    void logsEachRecordAsOneLineAtInfoToTheConfiguredLogger() {
        CapturedLogger.assertLogsEachRecordAsOneInfoLine(CombinedAccessLoggerTest::create,
                new CombinedFormat(ZoneId.systemDefault()));
    }

    @Test
    void doesNotFormatWhenInfoIsDisabled() {
        try (CapturedLogger captured = new CapturedLogger()) {
            captured.setLevel(Level.WARN);
            AtomicInteger formatted = new AtomicInteger();
            AccessLogger logger = new LineAccessLogger(LoggerFactory.getLogger(captured.name()), r -> {
                formatted.incrementAndGet();
                return "x";
            });
            logger.log(AccessRecords.sample().build());
            assertEquals(0, formatted.get());
            assertEquals(0, captured.events().size());
        }
    }

    @Test
    void saysItIsOffWhileInfoIsDisabledSoTheProxyBuildsNoRecord() {
        try (CapturedLogger captured = new CapturedLogger()) {
            AccessLogger logger = new LineAccessLogger(LoggerFactory.getLogger(captured.name()), r -> "x");
            assertTrue(logger.isEnabled());
            captured.setLevel(Level.OFF);
            assertFalse(logger.isEnabled());
            captured.setLevel(Level.INFO);
            assertTrue(logger.isEnabled(), "a level turned on at run time is seen");
        }
    }

    @Test
    void logsToProxykitAccessByDefault() {
        assertEquals("proxykit.access", ((LineAccessLogger) create("")).logger().getName());
        assertEquals("my.access", ((LineAccessLogger) create("logger = my.access")).logger().getName());
    }

    @Test
    void rejectsABlankOrNonStringLoggerAndUnknownKeys() {
        assertInvalid(() -> create("logger = \"\""), "logger", "SLF4J logger", "blank");
        assertInvalid(() -> create("logger = \"  \""), "logger", "blank");
        assertInvalid(() -> create("logger { name = x }"), "logger", "found: object");
        assertInvalid(() -> create("logger = null"), "logger", "found: null");
        assertInvalid(() -> create("format = json"), "format", "combined", "[logger]");
    }
}
