package dev.proxykit.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** The plain {@link Headers} behind {@link Headers#create()}: two parallel arrays. */
final class ArrayHeaders implements Headers {

    private String[] names = new String[8];
    private String[] values = new String[8];
    private int size;

    @Override
    public int size() {
        return size;
    }

    @Override
    public String name(int index) {
        checkIndex(index);
        return names[index];
    }

    @Override
    public String value(int index) {
        checkIndex(index);
        return values[index];
    }

    @Override
    public String get(CharSequence name) {
        for (int i = 0; i < size; i++) {
            if (HeaderNames.equalsIgnoreCase(names[i], name)) {
                return values[i];
            }
        }
        return null;
    }

    @Override
    public List<String> getAll(CharSequence name) {
        List<String> all = null;
        for (int i = 0; i < size; i++) {
            if (HeaderNames.equalsIgnoreCase(names[i], name)) {
                if (all == null) {
                    all = new ArrayList<>(2);
                }
                all.add(values[i]);
            }
        }
        return all == null ? Collections.emptyList() : all;
    }

    @Override
    public Headers add(String name, String value) {
        HeaderNames.checkName(name);
        HeaderNames.checkValue(name, value);
        if (size == names.length) {
            names = Arrays.copyOf(names, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        names[size] = name;
        values[size] = value;
        size++;
        return this;
    }

    @Override
    public Headers set(String name, String value) {
        HeaderNames.checkName(name);
        HeaderNames.checkValue(name, value);
        int first = -1;
        int out = 0;
        for (int i = 0; i < size; i++) {
            if (HeaderNames.equalsIgnoreCase(names[i], name)) {
                if (first >= 0) {
                    continue;
                }
                first = out;
                values[i] = value;
            }
            names[out] = names[i];
            values[out] = values[i];
            out++;
        }
        Arrays.fill(names, out, size, null);
        Arrays.fill(values, out, size, null);
        size = out;
        if (first < 0) {
            add(name, value);
        }
        return this;
    }

    @Override
    public boolean remove(CharSequence name) {
        int out = 0;
        for (int i = 0; i < size; i++) {
            if (!HeaderNames.equalsIgnoreCase(names[i], name)) {
                names[out] = names[i];
                values[out] = values[i];
                out++;
            }
        }
        boolean removed = out != size;
        Arrays.fill(names, out, size, null);
        Arrays.fill(values, out, size, null);
        size = out;
        return removed;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index: " + index + " (expected: 0 <= index < " + size + ")");
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Headers[");
        for (int i = 0; i < size; i++) {
            b.append(i == 0 ? "" : ", ").append(names[i]).append(": ").append(values[i]);
        }
        return b.append(']').toString();
    }
}
