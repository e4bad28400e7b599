package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.Director;
import dev.proxykit.api.Upstream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostRewriteDirectorTest {

    private static Director director(String hocon) {
        return new HostRewriteDirectorFactory().create(TestPluginContext.of("host-rewrite", hocon));
    }

    private static String hostSentTo(String upstream, Director director) {
        TestRequest request = TestRequest.of(Upstream.parse(upstream), "GET", "/", "Host", "client.example");
        director.direct(request);
        return request.authority();
    }

    @ParameterizedTest(name = "{0} -> Host: {1}")
    @CsvSource({
        "http://127.0.0.1:9292,      127.0.0.1:9292",
        "https://backend.example.com, backend.example.com",
        "http://backend.local/base,   backend.local",
        "http://Backend.Local:80,     Backend.Local:80",
        "'http://[::1]:8080',         '[::1]:8080'",
        "'https://[2001:db8::1]',     '[2001:db8::1]'",
    })
    void sendsTheChosenUpstreamsAuthorityByDefault(String upstream, String expectedHost) {
        assertEquals(expectedHost, hostSentTo(upstream, director("")));
    }

    @Test
    void sendsTheConfiguredHostToEveryUpstream() {
        Director director = director("host = \"backend.example.com\"");
        assertEquals("backend.example.com", hostSentTo("http://127.0.0.1:9292", director));
        assertEquals("backend.example.com", hostSentTo("http://10.0.0.2:9293", director));
        assertEquals("api.internal:8443", hostSentTo("http://x", director("host = \"api.internal:8443\"")));
        assertEquals("[::1]:8080", hostSentTo("http://x", director("host = \"[::1]:8080\"")));
        assertEquals("Mixed.Case", hostSentTo("http://x", director("host = Mixed.Case")));
    }

    @Test
    void keepsThePositionAndNameCaseOfTheClientsHostField() {
        TestRequest request = TestRequest.of(Upstream.parse("http://127.0.0.1:9292"), "GET", "/a",
                "accept", "*/*", "host", "client.example", "x-b", "2");
        director("").direct(request);
        assertEquals(List.of("accept: */*", "host: 127.0.0.1:9292", "x-b: 2"), request.headerLines());
        assertEquals("client.example", request.inbound().authority());
        assertEquals("/a", request.target());
    }

    @Test
    void replacesRepeatedHostFieldsByOne() {
        TestRequest request = TestRequest.of(Upstream.parse("http://b:81"), "GET", "/",
                "HOST", "one", "X", "1", "Host", "two");
        director("").direct(request);
        assertEquals(List.of("HOST: b:81", "X: 1"), request.headerLines());
    }

    @Test
    void appendsHostWhenTheClientSentNone() {
        TestRequest request = TestRequest.of(Upstream.parse("http://b:81"), "GET", "/", "X", "1");
        director("").direct(request);
        assertEquals(List.of("X: 1", "Host: b:81"), request.headerLines());
    }

    @Test
    void defaultsToTheUpstreamsAuthority() {
        assertTrue(TestPluginContext.of("host-rewrite", "").config().getIsNull("host"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "a b", "a/b", "http://x", "x/", "x?y", "x#y", "u@x", "x:0", "x:65536", "x:",
        "x:80:81", "a..b", "-x", "[::1", "[zz]", "256.1.1.1", "b\\u00e4r", "a\\tb"})
    void rejectsAHostThatIsNotHostAndPort(String host) {
        assertInvalid(() -> director("host = \"" + host + "\""), "host", "a host name or IP address");
    }

    @Test
    void saysWhatIsWrongWithABadHost() {
        assertInvalid(() -> director("host = \"\""), "host", "it is empty");
        assertInvalid(() -> director("host = \"a b\""), "host", "a space at index 1");
        assertInvalid(() -> director("host = \"a/b\""), "host", "'/' at index 1");
        assertInvalid(() -> director("host = \"https://x\""), "host", "it is a URL");
        assertInvalid(() -> director("host = \"x:0\""), "host", "port 0");
        assertInvalid(() -> director("host = \"a..b\""), "host", "empty label");
    }

    @Test
    void rejectsAHostThatIsNotAString() {
        assertInvalid(() -> director("host { name = x }"), "host", "found: object");
        assertInvalid(() -> director("host = [x]"), "host", "found: list");
    }

    @Test
    void rejectsUnknownKeys() {
        assertInvalid(() -> director("hostname = x"), "hostname", "host-rewrite", "[host]");
    }
}
