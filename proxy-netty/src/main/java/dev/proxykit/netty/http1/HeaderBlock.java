package dev.proxykit.netty.http1;

import dev.proxykit.api.HeaderNames;
import dev.proxykit.api.Headers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The engine's {@link Headers}: fields that point into the received head bytes until something reads or changes
 * them. Names and values that were received are written out again from those bytes, so their case and every octet
 * survive untouched; Strings are made only when a plugin asks for one.
 *
 * <p>Not thread-safe: owned by one exchange on one event loop. The {@code byte[]} is shared between copies and
 * never modified.
 */
public final class HeaderBlock implements Headers {

    private static final int[] NO_OFFSETS = new int[0];

    private final byte[] raw;
    /** Four ints per field: name start, name length, value start, value length in {@link #raw}; -1 when added. */
    private int[] offsets;
    /**
     * Two Strings per field, the name at {@code 2 * i} and the value at {@code 2 * i + 1}: made lazily for received
     * fields, given for added or changed ones; {@code null} until the first String is (most exchanges never need
     * one). As long as {@link #offsets} when not null, so that one capacity check covers both.
     */
    private String[] strings;
    private int size;
    private boolean readOnly;

    /** An empty block with room for {@code capacity} fields. */
    public HeaderBlock(int capacity) {
        this(null, capacity);
    }

    HeaderBlock(byte[] raw, int capacity) {
        this.raw = raw;
        this.offsets = new int[Math.max(capacity, 4) * 4];
    }

    private HeaderBlock(HeaderBlock from) {
        this.raw = from.raw;
        this.size = from.size;
        if (from.size == 0) {
            this.offsets = NO_OFFSETS;
        } else {
            this.offsets = Arrays.copyOf(from.offsets, from.size * 4 + 16);
            if (from.strings != null) {
                this.strings = Arrays.copyOf(from.strings, offsets.length / 2);
            }
        }
    }

    /** A mutable copy sharing the received bytes. */
    public HeaderBlock copy() {
        return new HeaderBlock(this);
    }

    /** Makes this block refuse changes (the inbound view given to selectors and directors). */
    public HeaderBlock readOnly() {
        this.readOnly = true;
        return this;
    }

    /** Appends a received field; used by the parser only. */
    void addRaw(int nameStart, int nameLength, int valueStart, int valueLength) {
        ensureCapacity();
        int o = size * 4;
        offsets[o] = nameStart;
        offsets[o + 1] = nameLength;
        offsets[o + 2] = valueStart;
        offsets[o + 3] = valueLength;
        if (strings != null) {
            strings[size * 2] = null;
            strings[size * 2 + 1] = null;
        }
        size++;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public String name(int index) {
        checkIndex(index);
        String n = nameString(index);
        if (n == null) {
            int o = index * 4;
            n = new String(raw, offsets[o], offsets[o + 1], StandardCharsets.ISO_8859_1);
            strings()[index * 2] = n;
        }
        return n;
    }

    @Override
    public String value(int index) {
        checkIndex(index);
        String v = valueString(index);
        if (v == null) {
            int o = index * 4;
            v = new String(raw, offsets[o + 2], offsets[o + 3], StandardCharsets.ISO_8859_1);
            strings()[index * 2 + 1] = v;
        }
        return v;
    }

    /** Whether the field at {@code index} has the name {@code name}, ignoring case, without making a String. */
    public boolean nameEquals(int index, CharSequence name) {
        String n = nameString(index);
        if (n != null) {
            return HeaderNames.equalsIgnoreCase(n, name);
        }
        int o = index * 4;
        return offsets[o + 1] == name.length() && rawEqualsIgnoreCase(offsets[o], name, name.length());
    }

    /** Whether the value of the field at {@code index} equals {@code s}, ignoring case, without making a String. */
    public boolean valueEqualsIgnoreCase(int index, String s) {
        checkIndex(index);
        if (!rawValue(index)) {
            return valueString(index).equalsIgnoreCase(s);
        }
        int o = index * 4;
        return offsets[o + 3] == s.length() && rawEqualsIgnoreCase(offsets[o + 2], s, s.length());
    }

    /** Whether the value of the field at {@code index} is still the received one, in {@link #raw}. */
    private boolean rawValue(int index) {
        return offsets[index * 4 + 2] >= 0;
    }

    /**
     * The field at {@code index} read as a Content-Length value (see {@link HeadParser#parseContentLength}), -1 when
     * invalid; without making a String.
     */
    long contentLength(int index) {
        checkIndex(index);
        if (!rawValue(index)) {
            byte[] v = valueString(index).getBytes(StandardCharsets.ISO_8859_1);
            return HeadParser.parseContentLength(v, 0, v.length);
        }
        int start = offsets[index * 4 + 2];
        return HeadParser.parseContentLength(raw, start, start + offsets[index * 4 + 3]);
    }

    /** Whether the value of the field at {@code index} holds the char {@code c}, without making a String. */
    boolean valueContains(int index, char c) {
        checkIndex(index);
        if (!rawValue(index)) {
            return valueString(index).indexOf(c) >= 0;
        }
        int start = offsets[index * 4 + 2];
        for (int p = start, end = start + offsets[index * 4 + 3]; p < end; p++) {
            if (raw[p] == c) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the value of the field at {@code index}, a comma-separated list, has the element {@code token} (any
     * case), as {@link HeaderNames#listContains}, without making a String.
     */
    boolean valueListContains(int index, String token) {
        checkIndex(index);
        if (!rawValue(index)) {
            return HeaderNames.listContains(valueString(index), token);
        }
        int p = offsets[index * 4 + 2];
        int end = p + offsets[index * 4 + 3];
        while (true) {
            int comma = p;
            while (comma < end && raw[comma] != ',') {
                comma++;
            }
            int s = p;
            int e = comma;
            while (s < e && (raw[s] == ' ' || raw[s] == '\t')) {
                s++;
            }
            while (e > s && (raw[e - 1] == ' ' || raw[e - 1] == '\t')) {
                e--;
            }
            if (e - s == token.length() && rawEqualsIgnoreCase(s, token, e - s)) {
                return true;
            }
            if (comma == end) {
                return false;
            }
            p = comma + 1;
        }
    }

    /** The length of the name of the field at {@code index}, without making a String. */
    public int nameLength(int index) {
        checkIndex(index);
        String n = nameString(index);
        return n != null ? n.length() : offsets[index * 4 + 1];
    }

    /**
     * Whether the field at {@code index} has a name starting with {@code prefix}, ignoring case, without making a
     * String.
     */
    public boolean nameStartsWith(int index, String prefix) {
        String n = nameString(index);
        if (n != null) {
            return n.length() >= prefix.length() && n.regionMatches(true, 0, prefix, 0, prefix.length());
        }
        int o = index * 4;
        return offsets[o + 1] >= prefix.length() && rawEqualsIgnoreCase(offsets[o], prefix, prefix.length());
    }

    /** Whether the {@code length} received octets from {@code start} equal the first chars of {@code s}, any case. */
    private boolean rawEqualsIgnoreCase(int start, CharSequence s, int length) {
        for (int i = 0; i < length; i++) {
            int a = raw[start + i] & 0xFF;
            int b = s.charAt(i);
            if (a != b && lower(a) != lower(b)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String get(CharSequence name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : value(i);
    }

    /** Index of the first field named {@code name} at or after {@code from}, or -1. */
    public int indexOf(CharSequence name, int from) {
        for (int i = from; i < size; i++) {
            if (nameEquals(i, name)) {
                return i;
            }
        }
        return -1;
    }

    /** How many fields are named {@code name}. */
    public int count(CharSequence name) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (nameEquals(i, name)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean contains(CharSequence name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public List<String> getAll(CharSequence name) {
        List<String> all = null;
        for (int i = 0; i < size; i++) {
            if (nameEquals(i, name)) {
                if (all == null) {
                    all = new ArrayList<>(2);
                }
                all.add(value(i));
            }
        }
        return all == null ? Collections.emptyList() : all;
    }

    @Override
    public Headers add(String name, String value) {
        checkWritable();
        HeaderNames.checkName(name);
        HeaderNames.checkValue(name, value);
        addUnchecked(name, value);
        return this;
    }

    /** Appends a field the engine knows to be valid. */
    void addUnchecked(String name, String value) {
        ensureCapacity();
        int o = size * 4;
        offsets[o] = -1;
        offsets[o + 2] = -1;
        String[] st = strings();
        st[size * 2] = name;
        st[size * 2 + 1] = value;
        size++;
    }

    @Override
    public Headers set(String name, String value) {
        checkWritable();
        HeaderNames.checkName(name);
        HeaderNames.checkValue(name, value);
        setUnchecked(name, value);
        return this;
    }

    /**
     * As {@link #set}, for a name and value the engine knows to be valid (its own names; values it made or that
     * the parser already checked); the block must be writable.
     */
    public void setUnchecked(String name, String value) {
        int first = indexOf(name, 0);
        if (first < 0) {
            addUnchecked(name, value);
            return;
        }
        name(first); // keep the received spelling of the name
        strings()[first * 2 + 1] = value;
        offsets[first * 4 + 2] = -1;
        removeFrom(name, first + 1);
    }

    @Override
    public boolean remove(CharSequence name) {
        checkWritable();
        return removeFrom(name, 0);
    }

    /** Replaces the value of the field at {@code index}, keeping its name and position. */
    public void setValue(int index, String value) {
        checkWritable();
        checkIndex(index);
        HeaderNames.checkValue(name(index), value);
        strings()[index * 2 + 1] = value;
        offsets[index * 4 + 2] = -1;
    }

    /** Removes the field at {@code index}. */
    public void removeAt(int index) {
        checkWritable();
        checkIndex(index);
        System.arraycopy(offsets, (index + 1) * 4, offsets, index * 4, (size - index - 1) * 4);
        if (strings != null) {
            System.arraycopy(strings, (index + 1) * 2, strings, index * 2, (size - index - 1) * 2);
            strings[size * 2 - 2] = null;
            strings[size * 2 - 1] = null;
        }
        size--;
    }

    private boolean removeFrom(CharSequence name, int from) {
        int out = from;
        for (int i = from; i < size; i++) {
            if (!nameEquals(i, name)) {
                if (out != i) {
                    System.arraycopy(offsets, i * 4, offsets, out * 4, 4);
                    if (strings != null) {
                        strings[out * 2] = strings[i * 2];
                        strings[out * 2 + 1] = strings[i * 2 + 1];
                    }
                }
                out++;
            }
        }
        boolean removed = out != size;
        if (strings != null) {
            Arrays.fill(strings, out * 2, size * 2, null);
        }
        size = out;
        return removed;
    }

    /**
     * Writes every field as {@code name: value\r\n}: received names and values byte for byte from the received
     * head, the others as one octet per char. Received lines that are already in that form and follow each other in
     * the head (most of them) go out as one run of bytes.
     */
    public void encode(ByteBuf out) {
        int i = 0;
        while (i < size) {
            int runEnd = verbatimLineEnd(i);
            if (runEnd >= 0) {
                int runStart = offsets[i * 4];
                i++;
                int next;
                while (i < size && offsets[i * 4] == runEnd && (next = verbatimLineEnd(i)) >= 0) {
                    runEnd = next;
                    i++;
                }
                out.writeBytes(raw, runStart, runEnd - runStart);
                continue;
            }
            int o = i * 4;
            if (offsets[o] >= 0) {
                out.writeBytes(raw, offsets[o], offsets[o + 1]);
            } else {
                ByteBufUtil.writeAscii(out, strings[i * 2]); // one octet per char, as ISO-8859-1
            }
            out.writeByte(':');
            out.writeByte(' ');
            if (offsets[o + 2] >= 0) {
                out.writeBytes(raw, offsets[o + 2], offsets[o + 3]);
            } else {
                ByteBufUtil.writeAscii(out, strings[i * 2 + 1]);
            }
            out.writeByte('\r');
            out.writeByte('\n');
            i++;
        }
    }

    /**
     * Where the received line of field {@code index} ends (after its CRLF) when the line reads exactly
     * {@code name: value\r\n} in {@link #raw}, name and value as received; else -1.
     */
    private int verbatimLineEnd(int index) {
        int o = index * 4;
        int nameStart = offsets[o];
        int valueStart = offsets[o + 2];
        if (nameStart < 0 || valueStart < 0) {
            return -1;
        }
        int nameEnd = nameStart + offsets[o + 1];
        int valueEnd = valueStart + offsets[o + 3];
        if (valueStart != nameEnd + 2 || raw[nameEnd] != ':' || raw[nameEnd + 1] != ' '
                || valueEnd + 1 >= raw.length || raw[valueEnd] != '\r' || raw[valueEnd + 1] != '\n') {
            return -1;
        }
        return valueEnd + 2;
    }

    /** An upper bound of what {@link #encode(ByteBuf)} writes. */
    public int encodedSizeEstimate() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            int o = i * 4;
            n += offsets[o] >= 0 ? offsets[o + 1] : strings[i * 2].length();
            n += offsets[o + 2] >= 0 ? offsets[o + 3] : strings[i * 2 + 1].length();
            n += 4;
        }
        return n;
    }

    private void ensureCapacity() {
        if (size * 4 == offsets.length) {
            int c = Math.max(8, size * 2);
            offsets = Arrays.copyOf(offsets, c * 4);
            if (strings != null) {
                strings = Arrays.copyOf(strings, c * 2);
            }
        }
    }

    /** The name String of the field at {@code index}, or {@code null} when none was made yet. */
    private String nameString(int index) {
        return strings == null ? null : strings[index * 2];
    }

    /** The value String of the field at {@code index}, or {@code null} when none was made yet. */
    private String valueString(int index) {
        return strings == null ? null : strings[index * 2 + 1];
    }

    /** {@link #strings}, made when first needed. */
    private String[] strings() {
        String[] st = strings;
        if (st == null) {
            st = new String[offsets.length / 2];
            strings = st;
        }
        return st;
    }

    private void checkWritable() {
        if (readOnly) {
            throw new UnsupportedOperationException("these headers are read-only: the inbound request cannot be "
                    + "changed; directors change ProxyRequest.headers()");
        }
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index: " + index + " (expected: 0 <= index < " + size + ")");
        }
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Headers[");
        for (int i = 0; i < size; i++) {
            b.append(i == 0 ? "" : ", ").append(name(i)).append(": ").append(value(i));
        }
        return b.append(']').toString();
    }
}
