package dev.proxykit.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeadersTest {

    /** "name: value" for each field, in order. */
    private static List<String> lines(Headers h) {
        List<String> out = new ArrayList<>();
        h.forEach((n, v) -> out.add(n + ": " + v));
        return out;
    }

    @Test
    void keepsNameCaseAndOrderExactlyAsAdded() {
        Headers h = Headers.create()
                .add("x-lower", "1")
                .add("X-MiXeD-CaSe", "2")
                .add("HOST", "example.com")
                .add("content-TYPE", "text/plain");
        assertEquals(List.of("x-lower: 1", "X-MiXeD-CaSe: 2", "HOST: example.com", "content-TYPE: text/plain"),
                lines(h));
        assertEquals(4, h.size());
        assertEquals("X-MiXeD-CaSe", h.name(1));
        assertEquals("2", h.value(1));
    }

    @Test
    void looksUpNamesCaseInsensitively() {
        Headers h = Headers.create().add("X-Foo", "a").add("x-foo", "b").add("Other", "c");
        assertEquals("a", h.get("x-FOO"));
        assertEquals(List.of("a", "b"), h.getAll("X-FOO"));
        assertTrue(h.contains("OTHER"));
        assertFalse(h.contains("missing"));
        assertNull(h.get("missing"));
        assertEquals(List.of(), h.getAll("missing"));
        assertEquals("c", h.get(new StringBuilder("other")));
    }

    @Test
    void setReplacesEveryRepetitionAtTheFirstPositionWithTheFirstSpelling() {
        Headers h = Headers.create()
                .add("A", "1")
                .add("host", "client.example")
                .add("B", "2")
                .add("HOST", "second")
                .add("C", "3")
                .add("Host", "third");
        assertSame(h, h.set("Host", "backend.example"));
        assertEquals(List.of("A: 1", "host: backend.example", "B: 2", "C: 3"), lines(h));
        assertEquals(List.of("backend.example"), h.getAll("HOST"));
    }

    @Test
    void setOnAMissingNameAppendsWithTheGivenSpelling() {
        Headers h = Headers.create().add("A", "1");
        h.set("x-New", "v");
        assertEquals(List.of("A: 1", "x-New: v"), lines(h));
    }

    @Test
    void setThenAddKeepsWorkingAfterCompaction() {
        Headers h = Headers.create();
        for (int i = 0; i < 20; i++) {
            h.add(i % 2 == 0 ? "Dup" : "Other" + i, Integer.toString(i));
        }
        h.set("dup", "x");
        assertEquals(11, h.size());
        assertEquals("Dup", h.name(0));
        assertEquals("x", h.value(0));
        h.add("Last", "y");
        assertEquals("Last", h.name(11));
        assertThrows(IndexOutOfBoundsException.class, () -> h.name(12));
    }

    @Test
    void removeDeletesEveryRepetitionAndSaysWhetherItDid() {
        Headers h = Headers.create().add("A", "1").add("x-gone", "2").add("B", "3").add("X-Gone", "4");
        assertTrue(h.remove("X-GONE"));
        assertEquals(List.of("A: 1", "B: 3"), lines(h));
        assertFalse(h.remove("x-gone"));
        assertEquals(2, h.size());
        assertTrue(h.remove("a"));
        assertTrue(h.remove("b"));
        assertTrue(h.isEmpty());
    }

    @Test
    void keepsSeveralSetCookieFieldsInOrder() {
        Headers h = Headers.create()
                .add("Set-Cookie", "a=1; Path=/")
                .add("Content-Type", "text/html")
                .add("set-cookie", "b=2, c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT")
                .add("Set-Cookie", "d=4");
        assertEquals(List.of("a=1; Path=/", "b=2, c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "d=4"),
                h.getAll("Set-Cookie"));
        assertEquals("set-cookie", h.name(2));
    }

    @Test
    void obsTextOctetsRoundTrip() {
        StringBuilder all = new StringBuilder();
        for (char c = 0x80; c <= 0xFF; c++) {
            all.append(c);
        }
        String value = "caf\u00e9 " + all + " \t end";
        Headers h = Headers.create().add("X-Latin1", value);
        assertEquals(value, h.get("x-latin1"));
        assertEquals(value, h.value(0));
        h.set("X-Latin1", "\u00ff\u0080");
        assertEquals("\u00ff\u0080", h.get("X-LATIN1"));
    }

    @Test
    void acceptsEmptyValuesAndEveryTokenCharacterInNames() {
        Headers h = Headers.create().add("!#$%&'*+-.^_`|~09AZaz", "");
        assertEquals("", h.get("!#$%&'*+-.^_`|~09azAZ"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Bad Name", "Bad:Name", "Bad\tName", "Na\u00efve", "(paren)", "a\r\nb"})
    void rejectsNamesThatAreNotTokens(String name) {
        Headers h = Headers.create();
        IllegalArgumentException add = assertThrows(IllegalArgumentException.class, () -> h.add(name, "v"));
        assertTrue(add.getMessage().contains("header name"), add.getMessage());
        assertThrows(IllegalArgumentException.class, () -> h.set(name, "v"));
        assertEquals(0, h.size());
    }

    @Test
    void rejectsANullName() {
        assertThrows(IllegalArgumentException.class, () -> Headers.create().add(null, "v"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\rb", "a\nb", "a\u0000b", "\u0100", "snow \u2603", "\r\nX-Injected: 1"})
    void rejectsValuesWithCrLfNulOrCharsAboveFf(String value) {
        Headers h = Headers.create().add("X", "ok");
        IllegalArgumentException add = assertThrows(IllegalArgumentException.class, () -> h.add("Y", value));
        assertTrue(add.getMessage().contains("expected: no CR, LF or NUL, octets only"), add.getMessage());
        assertThrows(IllegalArgumentException.class, () -> h.set("X", value));
        assertEquals(List.of("X: ok"), lines(h));
    }

    @Test
    void rejectsANullValue() {
        assertThrows(IllegalArgumentException.class, () -> Headers.create().add("X", null));
    }

    @Test
    void containsTokenFindsEachElementOfAList() {
        Headers h = Headers.create().add("Host", "x").add("Connection", "keep-alive, Upgrade");
        assertTrue(h.containsToken("connection", "upgrade"));
        assertTrue(h.containsToken("CONNECTION", "Keep-Alive"));
        assertFalse(h.containsToken("Connection", "close"));
        assertFalse(h.containsToken("Connection", "keep"));
        assertFalse(h.containsToken("Upgrade", "keep-alive"));
    }

    @Test
    void containsTokenIgnoresSpacesTabsAndEmptyElementsAndLooksInEveryField() {
        Headers h = Headers.create().add("Connection", " ,\tclose ,").add("connection", "TE,  Upgrade\t");
        assertTrue(h.containsToken("Connection", "close"));
        assertTrue(h.containsToken("Connection", "te"));
        assertTrue(h.containsToken("Connection", "upgrade"));
        assertFalse(h.containsToken("Connection", "keep-alive"));
    }

    @Test
    void indexOutsideTheFieldsThrows() {
        Headers h = Headers.create().add("A", "1");
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> h.value(1));
        assertEquals("index: 1 (expected: 0 <= index < 1)", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> h.name(-1));
    }

    @Test
    void growsBeyondItsInitialCapacityKeepingOrder() {
        Headers h = Headers.create();
        for (int i = 0; i < 100; i++) {
            h.add("H" + i, "v" + i);
        }
        assertEquals(100, h.size());
        for (int i = 0; i < 100; i++) {
            assertEquals("H" + i, h.name(i));
            assertEquals("v" + i, h.value(i));
        }
    }
}
