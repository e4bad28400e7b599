package dev.proxykit.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class AccessLogTextTest {

    private static String ip(String literal) throws Exception {
        return AccessLogText.clientIp(new InetSocketAddress(InetAddress.getByName(literal), 51000));
    }

    @Test
    void ipv6IsWrittenInItsRfc5952FormAsNginxLogsIt() throws Exception {
        assertEquals("::1", ip("0:0:0:0:0:0:0:1"));
        assertEquals("::", ip("0:0:0:0:0:0:0:0"));
        assertEquals("2001:db8::1", ip("2001:0DB8:0:0:0:0:0:1"));
        assertEquals("2001:db8::", ip("2001:db8:0:0:0:0:0:0"));
        assertEquals("2001:db8:0:1:1:1:1:1", ip("2001:db8:0:1:1:1:1:1"), "one zero group stays");
        assertEquals("2001:0:0:1::1", ip("2001:0:0:1:0:0:0:1"), "the longest run");
        assertEquals("2001:db8::1:0:0:1", ip("2001:db8:0:0:1:0:0:1"), "the first of equal runs");
        assertEquals("fe80::1", ip("fe80:0:0:0:0:0:0:1"));
    }

    @Test
    void ipv4AndUnknownAddresses() throws Exception {
        assertEquals("127.0.0.1", ip("127.0.0.1"));
        assertEquals("203.0.113.7", ip("::ffff:203.0.113.7"), "an IPv4-mapped address is IPv4");
        assertNull(AccessLogText.clientIp(null));
        assertEquals("unresolved.test", AccessLogText.clientIp(InetSocketAddress.createUnresolved("unresolved.test", 1)));
    }
}
