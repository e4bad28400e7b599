package dev.proxykit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UpstreamTest {

    static Stream<Arguments> invalidUrls() {
        return Stream.of(
                arguments("localhost:8080", "missing scheme"),
                arguments("http//x", "missing scheme"),
                arguments("http//x", "did you mean \"http://x\""),
                arguments("http:/x", "did you mean \"http://x\""),
                arguments("://x", "missing scheme before"),
                arguments("http://", "missing host"),
                arguments("http:///a", "missing host"),
                arguments("http://:80", "missing host"),
                arguments("ftp://x", "unsupported scheme \"ftp\""),
                arguments("http://x:0", "port 0 (expected: 1 to 65535)"),
                arguments("http://x:00000", "port 0 (expected: 1 to 65535)"),
                arguments("http://x:65536", "port 65536 (expected: 1 to 65535)"),
                arguments("http://x:123456", "port \"123456\""),
                arguments("http://x:8o", "port \"8o\""),
                arguments("http://x:-1", "port \"-1\""),
                arguments("http://x:", "empty port"),
                arguments("http://u@x", "userinfo (\"u@\")"),
                arguments("http://u:p@x:80", "userinfo (\"u:p@\")"),
                arguments("http://x?q=1", "a query (\"?q=1\") is not allowed"),
                arguments("http://x/a?", "a query (\"?\") is not allowed"),
                arguments("http://x#f", "a fragment (\"#f\") is not allowed"),
                arguments("http://a b", "a space at index 8"),
                arguments("http://x/\ta", "a tab"),
                arguments("http://x:80:81", "more than one ':'"),
                arguments("http://::1", "more than one ':'"),
                arguments("http://[::1", "unterminated IPv6 address"),
                arguments("http://[zz]", "invalid IPv6 address \"zz\""),
                arguments("http://[1::2::3]", "invalid IPv6 address"),
                arguments("http://[::1]x", "unexpected \"x\" after the IPv6 address"),
                arguments("http://[::1]:", "empty port"),
                arguments("http://x/%zz", "'%' at index 1 is not followed by two hex digits"),
                arguments("http://x/a%4", "'%' at index 2 is not followed by two hex digits"),
                arguments("http://x/a|b", "character '|' at index 2"),
                arguments("http://-x", "starts or ends with '-'"),
                arguments("http://x-", "starts or ends with '-'"),
                arguments("http://a..b", "empty label"),
                arguments("http://.a", "empty label"),
                arguments("http://a_b!c", "character '!'"),
                arguments("http://256.1.1.1", "not a valid IPv4 address"),
                arguments("http://1.2.3", "not a valid IPv4 address"),
                arguments("http://01.2.3.4", "not a valid IPv4 address"));
    }

    @ParameterizedTest(name = "{0} is rejected: {1}")
    @MethodSource("invalidUrls")
    void rejectsWithTheBrokenRule(String url, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Upstream.parse(url));
        assertTrue(e.getMessage().contains(reason), () -> "message \"" + e.getMessage() + "\" lacks \"" + reason + '"');
        assertTrue(e.getMessage().contains('"' + url + '"'), () -> "message does not quote the URL: " + e.getMessage());
    }

    @Test
    void rejectsNonAsciiCharacters() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Upstream.parse("http://b\u00e4ckend"));
        assertTrue(e.getMessage().contains("character 0xe4 at index 8"), e.getMessage());
    }

    @Test
    void rejectsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Upstream.parse(null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void rejectsWeightOutsideRange() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> Upstream.parse("http://x", 0));
        assertEquals("weight: 0 (expected: 1 to 1000000)", zero.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Upstream.parse("http://x", Upstream.MAX_WEIGHT + 1));
        assertTrue(big.getMessage().startsWith("weight: 1000001"), big.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Upstream.parse("http://x", -1));
    }

    @Test
    void acceptsIpv4WithPort() {
        Upstream u = Upstream.parse("http://127.0.0.1:9292");
        assertEquals("http", u.scheme());
        assertFalse(u.isSecure());
        assertEquals("127.0.0.1", u.host());
        assertEquals(9292, u.port());
        assertEquals("127.0.0.1:9292", u.authority());
        assertEquals("127.0.0.1:9292", u.address());
        assertEquals("", u.pathPrefix());
        assertEquals(1, u.weight());
        assertEquals("http://127.0.0.1:9292", u.toString());
    }

    @Test
    void httpsWithoutPortDefaultsTo443AndLeavesThePortOutOfTheAuthority() {
        Upstream u = Upstream.parse("https://backend.example.com");
        assertEquals("https", u.scheme());
        assertTrue(u.isSecure());
        assertEquals("backend.example.com", u.host());
        assertEquals(443, u.port());
        assertEquals("backend.example.com", u.authority());
        assertEquals("backend.example.com:443", u.address());
    }

    @Test
    void httpWithoutPortDefaultsTo80() {
        Upstream u = Upstream.parse("http://backend.local");
        assertEquals(80, u.port());
        assertEquals("backend.local", u.authority());
        assertEquals("backend.local:80", u.address());
    }

    @Test
    void keepsThePathPrefixAsWritten() {
        assertEquals("/base/", Upstream.parse("http://x/base/").pathPrefix());
        assertEquals("/base", Upstream.parse("http://x/base").pathPrefix());
        assertEquals("/", Upstream.parse("http://x/").pathPrefix());
        assertEquals("/a%2Fb//c", Upstream.parse("http://x/a%2Fb//c").pathPrefix());
        assertEquals("http://x:8080/base/", Upstream.parse("http://x:8080/base/").toString());
    }

    @Test
    void acceptsBracketedIpv6() {
        Upstream u = Upstream.parse("http://[::1]:8080");
        assertEquals("::1", u.host());
        assertEquals(8080, u.port());
        assertEquals("[::1]:8080", u.authority());
        assertEquals("[::1]:8080", u.address());

        Upstream noPort = Upstream.parse("https://[2001:db8::7]");
        assertEquals("[2001:db8::7]", noPort.authority());
        assertEquals("[2001:db8::7]:443", noPort.address());
        assertEquals("::ffff:192.0.2.1", Upstream.parse("http://[::ffff:192.0.2.1]").host());
        assertEquals("1:2:3:4:5:6:7:8", Upstream.parse("http://[1:2:3:4:5:6:7:8]").host());
    }

    @Test
    void lowerCasesTheSchemeButKeepsTheHostAsWritten() {
        Upstream u = Upstream.parse("HTTP://X");
        assertEquals("http", u.scheme());
        assertEquals("X", u.host());
        assertEquals("X", u.authority());
        assertEquals("http://X", u.toString());
    }

    @Test
    void acceptsUnderscoreInHostNames() {
        Upstream u = Upstream.parse("http://my_service:80");
        assertEquals("my_service", u.host());
        assertEquals(80, u.port());
        assertEquals("my_service:80", u.authority());
    }

    @Test
    void acceptsBoundaryPortsAndAFullyQualifiedName() {
        assertEquals(1, Upstream.parse("http://x:1").port());
        assertEquals(65535, Upstream.parse("http://x:65535").port());
        assertEquals("x.example.", Upstream.parse("http://x.example.").host());
        assertEquals("255.255.255.255", Upstream.parse("http://255.255.255.255").host());
    }

    @Test
    void equalityIgnoresHostCaseButNotPortPathOrWeight() {
        Upstream a = Upstream.parse("http://Backend:8080/p");
        Upstream b = Upstream.parse("http://backend:8080/p");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, Upstream.parse("http://backend:8081/p"));
        assertNotEquals(a, Upstream.parse("http://backend:8080/q"));
        assertNotEquals(a, Upstream.parse("https://backend:8080/p"));
        assertNotEquals(a, Upstream.parse("http://backend:8080/p", 2));
        assertNotEquals(a, null);
        assertNotEquals(a, "http://backend:8080/p");
    }

    @Test
    void withWeightReturnsACopyWithTheNewWeightOnly() {
        Upstream u = Upstream.parse("http://x:81/p");
        Upstream heavy = u.withWeight(5);
        assertEquals(5, heavy.weight());
        assertEquals(1, u.weight());
        assertEquals(u.host(), heavy.host());
        assertEquals(u.port(), heavy.port());
        assertEquals(u.pathPrefix(), heavy.pathPrefix());
        assertEquals(u.authority(), heavy.authority());
        assertEquals(Upstream.parse("http://x:81/p", 5), heavy);
        assertSame(u, u.withWeight(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> u.withWeight(0));
        assertEquals("weight: 0 (expected: 1 to 1000000)", e.getMessage());
    }

    @Test
    void rejectsAHyphenAtTheEdgeOfAnyLabel() {
        for (String url : new String[] {"http://a-.b", "http://a.-b", "http://x.-y.z"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Upstream.parse(url), url);
            assertTrue(e.getMessage().contains("'-'"), e.getMessage());
        }
    }

    @Test
    void equalUpstreamsAreInterchangeable() {
        Upstream implicit = Upstream.parse("http://x");
        Upstream explicit = Upstream.parse("http://x:80");
        if (implicit.equals(explicit)) {
            assertEquals(implicit.authority(), explicit.authority());
            assertEquals(implicit.toString(), explicit.toString());
        }
    }
}
