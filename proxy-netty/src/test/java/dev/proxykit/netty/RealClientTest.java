package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.proxykit.runtime.config.Cidr;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class RealClientTest {

    private static Predicate<InetAddress> trusting(String... cidrs) {
        List<Cidr> list = java.util.Arrays.stream(cidrs).map(Cidr::parse).toList();
        return a -> list.stream().anyMatch(c -> c.contains(a));
    }

    @Test
    void theRightmostHopThatIsNotTrustedIsTheClient() {
        Predicate<InetAddress> trusted = trusting("10.0.0.0/8");
        assertEquals("203.0.113.7", RealClient.ip("203.0.113.7", trusted));
        assertEquals("203.0.113.7", RealClient.ip("203.0.113.7, 10.1.1.1", trusted));
        assertEquals("203.0.113.7", RealClient.ip("203.0.113.7,10.1.1.1,10.2.2.2", trusted));
        assertEquals("198.51.100.9", RealClient.ip("6.6.6.6, 198.51.100.9, 10.1.1.1", trusted),
                "what a client wrote at the left is not believed");
    }

    @Test
    void whenEveryHopIsTrustedTheLeftmostIsTheClient() {
        assertEquals("10.9.9.9", RealClient.ip("10.9.9.9, 10.1.1.1", trusting("10.0.0.0/8")));
    }

    @Test
    void portsAndIpv6FormsAreRead() {
        Predicate<InetAddress> none = a -> false;
        assertEquals("192.0.2.1", RealClient.ip("192.0.2.1:8080", none));
        assertEquals("2001:db8::1", RealClient.ip("2001:db8:0:0:0:0:0:1", none), "RFC 5952 form");
        assertEquals("2001:db8::1", RealClient.ip("[2001:db8::1]:443", none));
        assertEquals("2001:db8::1", RealClient.ip("[2001:db8::1]", none));
        assertEquals("192.0.2.1", RealClient.ip("192.0.2.1, ::ffff:10.1.1.1", trusting("10.0.0.0/8")),
                "an IPv4-mapped hop counts as IPv4");
    }

    @Test
    void anEntryThatIsNoAddressEndsTheSearchAtTheHopToItsRightAsNginxDoes() {
        Predicate<InetAddress> trusted = trusting("10.0.0.0/8");
        assertNull(RealClient.ip("unknown", trusted), "the rightmost entry: no answer");
        assertNull(RealClient.ip("203.0.113.7:abc", trusted));
        assertNull(RealClient.ip("203.0.113.7:", trusted));
        assertNull(RealClient.ip("fe80::1%eth0", trusted), "no zones");
        assertNull(RealClient.ip("[2001:db8::1]x", trusted));
        assertEquals("10.1.1.1", RealClient.ip("203.0.113.7, example.com, 10.1.1.1", trusted),
                "never resolved; the trusted hop that appended it is the answer");
        assertEquals("10.0.0.5", RealClient.ip("garbage, 10.0.0.5", trusted));
        assertEquals("203.0.113.7", RealClient.ip("junk, 203.0.113.7, 10.1.1.1", trusted),
                "left of the client anything may stand");
    }

    @Test
    void emptyEntriesArePassedOver() {
        Predicate<InetAddress> trusted = trusting("10.0.0.0/8");
        assertEquals("203.0.113.7", RealClient.ip("203.0.113.7,,10.1.1.1", trusted));
        assertEquals("203.0.113.7", RealClient.ip("203.0.113.7, ", trusted), "a trailing comma");
        assertEquals("10.1.1.1", RealClient.ip(",10.1.1.1", trusted));
        assertNull(RealClient.ip("", trusted));
        assertNull(RealClient.ip(" , ", trusted));
        assertNull(RealClient.ip(null, trusted));
    }
}
