package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Phase;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonAccessLoggerTest {

    private static final JsonFormat UTC = new JsonFormat(ZoneOffset.UTC);

    private static String line(AccessRecord.Builder record) {
        return UTC.apply(record.build());
    }

    /** Parses {@code json} strictly as JSON (Typesafe Config's JSON syntax rejects HOCON extensions). */
    private static Config parse(String json) {
        return ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    private static AccessLogger create(String hocon) {
        return new JsonAccessLoggerFactory().create(TestPluginContext.of("json", hocon));
    }

    @Test
    void formatsASuccessfulExchange() {
        assertEquals("{\"time\":\"2026-11-21T10:15:30.000Z\",\"client\":\"127.0.0.1\",\"method\":\"GET\","
                + "\"target\":\"/a?b=1\",\"protocol\":\"HTTP/1.1\",\"host\":\"example.com\",\"status\":200,"
                + "\"request_bytes\":0,\"response_bytes\":13,\"referer\":null,\"user_agent\":\"curl/8.0\","
                + "\"route\":\"route-0\",\"upstream\":\"127.0.0.1:9292\",\"upstreams\":[\"127.0.0.1:9292\"],"
                + "\"attempts\":1,\"duration_ms\":12.000,"
                + "\"connect_ms\":1.000,\"upstream_header_ms\":10.000,\"upstream_ms\":11.000,\"error\":null,"
                + "\"phase\":null}", line(AccessRecords.sample()));
    }

    @Test
    void formatsAFailedExchangeWithNullsForWhatNeverHappened() {
        String line = line(AccessRecords.sample().status(504).requestBodyBytes(7).responseBodyBytes(0)
                .totalNanos(5_000_123_456L).upstreamHeaderNanos(-1).upstreamTotalNanos(-1)
                .failure(Phase.AWAIT_RESPONSE_HEAD, "upstream_response_header_timeout"));
        assertTrue(line.contains(",\"status\":504,\"request_bytes\":7,\"response_bytes\":0,"), line);
        assertTrue(line.endsWith(",\"duration_ms\":5000.123,\"connect_ms\":1.000,\"upstream_header_ms\":null,"
                + "\"upstream_ms\":null,\"error\":\"upstream_response_header_timeout\","
                + "\"phase\":\"AWAIT_RESPONSE_HEAD\"}"), line);
    }

    @Test
    void writesNullForEveryAbsentValue() {
        Config parsed = parse(line(AccessRecords.empty()));
        for (String key : List.of("client", "host", "referer", "user_agent", "route", "upstream", "duration_ms",
                "connect_ms", "upstream_header_ms", "upstream_ms", "error", "phase")) {
            assertTrue(parsed.getIsNull(key), key);
        }
        assertEquals("-", parsed.getString("method"));
        assertEquals(400, parsed.getInt("status"));
        assertEquals(0, parsed.getInt("attempts"));
        assertEquals(List.of(), parsed.getStringList("upstreams"));
    }

    @Test
    void namesTheClientBehindTrustedProxiesOnlyWhenThereIsOne() {
        String line = line(AccessRecords.sample().realClientIp("203.0.113.7"));
        assertTrue(line.contains("\"client\":\"127.0.0.1\",\"real_client\":\"203.0.113.7\",\"method\""), line);
        assertTrue(!line(AccessRecords.sample()).contains("real_client"));
    }

    @Test
    void listsEveryUpstreamTriedInOrder() {
        Config parsed = parse(line(AccessRecords.sample().upstream("127.0.0.1:9293").attempts(2)
                .upstreams(List.of("127.0.0.1:9292", "127.0.0.1:9293"))));
        assertEquals(List.of("127.0.0.1:9292", "127.0.0.1:9293"), parsed.getStringList("upstreams"));
        assertEquals("127.0.0.1:9293", parsed.getString("upstream"));
    }

    @Test
    void millisecondsHaveThreeDecimals() {
        assertTrue(line(AccessRecords.sample().totalNanos(0)).contains("\"duration_ms\":0.000,"));
        assertTrue(line(AccessRecords.sample().totalNanos(1_499)).contains("\"duration_ms\":0.001,"));
        assertTrue(line(AccessRecords.sample().totalNanos(12_345_500)).contains("\"duration_ms\":12.346,"));
        assertTrue(line(AccessRecords.sample().totalNanos(60_000_000_000L)).contains("\"duration_ms\":60000.000,"));
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        String line = line(AccessRecords.sample().target("/a\"b\\c").userAgent("t\tn\nr\rnul\u0000del\u007f"));
        assertTrue(line.contains("\"target\":\"/a\\\"b\\\\c\""), line);
        assertTrue(line.contains("\"user_agent\":\"t\\u0009n\\u000ar\\u000dnul\\u0000del\\u007f\""), line);
    }

    @Test
    void escapesOctetsAbove7fSoTheLineStaysAscii() {
        String line = line(AccessRecords.sample().referer("caf\u00e9 \u0080\u00ff").userAgent("\u2603\ud83d\ude00"));
        assertTrue(line.contains("\"referer\":\"caf\\u00e9 \\u0080\\u00ff\""), line);
        assertTrue(line.contains("\"user_agent\":\"\\u2603\\ud83d\\ude00\""), line);
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7F), line);
    }

    @Test
    void wireOctetsThatAreUtf8AreLoggedAsTheTextTheySpell() {
        // "/café/☃😀" as it arrives: the UTF-8 octets, one char each
        String wire = new String("/caf\u00e9/\u2603\ud83d\ude00".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        String line = line(AccessRecords.sample().target(wire));
        assertTrue(line.contains("\"target\":\"/caf\\u00e9/\\u2603\\ud83d\\ude00\""), line);
        assertEquals("/caf\u00e9/\u2603\ud83d\ude00", parse(line).getString("target"), "what a JSON reader sees");
    }

    @Test
    void everyStringRoundTripsThroughAStrictJsonParser() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x100; c++) {
            all.append(c);
        }
        String nasty = all + "\u2603";
        Config parsed = parse(line(AccessRecords.sample().target(nasty).userAgent(nasty).referer("\"}{\\")
                .route("r\"1").failure(Phase.TUNNEL, "x\\y")));
        assertEquals(nasty, parsed.getString("target"));
        assertEquals(nasty, parsed.getString("user_agent"));
        assertEquals("\"}{\\", parsed.getString("referer"));
        assertEquals("r\"1", parsed.getString("route"));
        assertEquals("x\\y", parsed.getString("error"));
        assertEquals("TUNNEL", parsed.getString("phase"));
        assertEquals(12.0, parsed.getDouble("duration_ms"));
        assertEquals(21, parsed.root().size());
    }

    @Test
    void timeCarriesTheZonesOffset() {
        String line = new JsonFormat(ZoneId.of("Europe/Paris")).apply(AccessRecords.sample().build());
        assertTrue(line.startsWith("{\"time\":\"2026-11-21T11:15:30.000+01:00\","), line);
    }

    @Test
    void logsEachRecordAsOneLineAtInfoToTheConfiguredLogger() {
        CapturedLogger.assertLogsEachRecordAsOneInfoLine(JsonAccessLoggerTest::create,
                new JsonFormat(ZoneId.systemDefault()));
    }

    @Test
    void logsToProxykitAccessByDefaultAndRejectsBadSettings() {
        assertEquals("proxykit.access", ((LineAccessLogger) create("")).logger().getName());
        assertInvalid(() -> create("logger = \"\""), "logger", "blank");
        assertInvalid(() -> create("logger = [a]"), "logger", "found: list");
        assertInvalid(() -> create("pretty = true"), "pretty", "json", "[logger]");
    }
}
