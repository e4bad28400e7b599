package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.proxykit.api.Director;
import dev.proxykit.api.Upstream;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SingleHostDirectorTest {

    private static Director director(String hocon) {
        return new SingleHostDirectorFactory().create(TestPluginContext.of("single-host", hocon));
    }

    /**
     * upstream URL, configured query, request target, expected outbound target: what Go's
     * NewSingleHostReverseProxy sends for a target URL with that path and RawQuery (singleJoiningSlash and the
     * RawQuery merge of rewriteRequestURL; URL.ForceQuery for a bare '?').
     */
    static Stream<Arguments> goCases() {
        return Stream.of(
                arguments("http://u", "", "/x", "/x"),
                arguments("http://u/", "", "/x", "/x"),
                arguments("http://u/base", "", "/x", "/base/x"),
                arguments("http://u/base/", "", "/x", "/base/x"),
                arguments("http://u/base", "", "/", "/base/"),
                arguments("http://u/base/", "", "/", "/base/"),
                arguments("http://u/", "", "/", "/"),
                arguments("http://u", "", "/", "/"),
                arguments("http://u/base", "", "//a//b/", "/base//a//b/"),
                arguments("http://u/base/", "", "//a", "/base//a"),
                arguments("http://u/a%2Fb", "", "/c%20d/%2e%2e", "/a%2Fb/c%20d/%2e%2e"),
                arguments("http://u/base", "", "/x?b=2", "/base/x?b=2"),
                arguments("http://u", "a=1", "/x", "/x?a=1"),
                arguments("http://u", "a=1", "/x?b=2", "/x?a=1&b=2"),
                arguments("http://u/base", "a=1&c", "/x?b=2&b=3", "/base/x?a=1&c&b=2&b=3"),
                arguments("http://u", "", "/x?", "/x?"),
                arguments("http://u/base", "", "/x?", "/base/x?"),
                arguments("http://u", "a=1", "/x?", "/x?a=1"),
                arguments("http://u/base", "", "/x??y", "/base/x??y"),
                arguments("http://u/base", "k=%20v", "/?q=%zz;r", "/base/?k=%20v&q=%zz;r"),
                arguments("http://u/base", "a=1", "*", "*"),
                arguments("http://u/base", "", "*", "*"));
    }

    @ParameterizedTest(name = "{0} query={1}: {2} -> {3}")
    @MethodSource("goCases")
    void rewritesTheTargetAsGoDoes(String upstream, String query, String target, String expected) {
        TestRequest request = TestRequest.of(Upstream.parse(upstream), "GET", target, "Host", "client.example");
        director("query = \"" + query + "\"").direct(request);
        assertEquals(expected, request.target());
        assertEquals(target, request.inbound().target());
    }

    @Test
    void joinPathMatchesGosSingleJoiningSlashIncludingEmptyParts() {
        assertEquals("/base/x", SingleHostDirector.joinPath("/base", "/x"));
        assertEquals("/base/x", SingleHostDirector.joinPath("/base/", "/x"));
        assertEquals("/base/x", SingleHostDirector.joinPath("/base", "x"));
        assertEquals("/base/x", SingleHostDirector.joinPath("/base/", "x"));
        assertEquals("/x", SingleHostDirector.joinPath("", "/x"));
        assertEquals("/x", SingleHostDirector.joinPath("", "x"));
        assertEquals("/base/", SingleHostDirector.joinPath("/base", ""));
        assertEquals("/base/", SingleHostDirector.joinPath("/base/", ""));
        assertEquals("/", SingleHostDirector.joinPath("", ""));
        assertEquals("/", SingleHostDirector.joinPath("/", "/"));
        assertEquals("//x", SingleHostDirector.joinPath("/", "//x"));
    }

    @Test
    void addsNoUserAgentAndLeavesHostAndOtherHeadersAlone() {
        TestRequest request = TestRequest.of(Upstream.parse("http://127.0.0.1:9292/base"), "POST", "/x?y",
                "host", "client.example:3000", "X-lower", "1", "Accept", "*/*");
        director("query = \"a=1\"").direct(request);
        assertEquals("/base/x?a=1&y", request.target());
        assertEquals(List.of("host: client.example:3000", "X-lower: 1", "Accept: */*"), request.headerLines());
        assertNull(request.headers().get("User-Agent"));
        assertEquals("client.example:3000", request.authority());
        assertEquals("POST", request.method());
    }

    @Test
    void keepsAUserAgentTheClientSent() {
        TestRequest request = TestRequest.of(Upstream.parse("http://u/b"), "GET", "/", "User-Agent", "curl/8.0");
        director("").direct(request);
        assertEquals(List.of("User-Agent: curl/8.0"), request.headerLines());
    }

    @Test
    void aRequestWithoutHostGetsNone() {
        TestRequest request = TestRequest.of(Upstream.parse("http://u/b"), "GET", "/");
        director("").direct(request);
        assertFalse(request.headers().contains("Host"));
        assertEquals("/b/", request.target());
    }

    @Test
    void defaultsToNoQuery() {
        assertEquals("", TestPluginContext.of("single-host", "").config().getString("query"));
        TestRequest request = TestRequest.of(Upstream.parse("http://u"), "GET", "/x?y=1");
        director("").direct(request);
        assertEquals("/x?y=1", request.target());
    }

    @Test
    void acceptsEveryRawQueryCharacter() {
        String query = "a=1&b=%2F%3f&c=x:y@z/?;!$'()*+,~._-";
        TestRequest request = TestRequest.of(Upstream.parse("http://u"), "GET", "/");
        director("query = \"" + query + "\"").direct(request);
        assertEquals("/?" + query, request.target());
    }

    @ParameterizedTest
    @ValueSource(strings = {"?a=1", "a b", "a#b", "a=%zz", "a=%4", "a=\\\"", "a=<b>", "caf\\u00e9"})
    void rejectsAQueryThatIsNotRawRfc3986(String query) {
        assertInvalid(() -> director("query = \"" + query + "\""), "query", "a raw query");
    }

    @Test
    void explainsALeadingQuestionMark() {
        assertInvalid(() -> director("query = \"?a=1\""), "query", "write \"a=1\"");
    }

    @Test
    void rejectsAQueryThatIsNotAString() {
        assertInvalid(() -> director("query { a = 1 }"), "query", "found: object");
        assertInvalid(() -> director("query = [a]"), "query", "found: list");
        assertInvalid(() -> director("query = null"), "query", "found: null");
    }

    @Test
    void rejectsUnknownKeys() {
        assertInvalid(() -> director("qurey = \"a=1\""), "qurey", "single-host", "[query]");
    }
}
