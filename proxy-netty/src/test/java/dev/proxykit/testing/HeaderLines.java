package dev.proxykit.testing;

import java.util.ArrayList;
import java.util.List;

/** Lookups over header lines kept as {name, value} pairs in received order, names in received case. */
final class HeaderLines {

    private HeaderLines() {
    }

    static String first(List<String[]> headers, String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    static List<String> all(List<String[]> headers, String name) {
        List<String> all = new ArrayList<>();
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                all.add(h[1]);
            }
        }
        return all;
    }

    static List<String> names(List<String[]> headers) {
        List<String> names = new ArrayList<>();
        for (String[] h : headers) {
            names.add(h[0]);
        }
        return names;
    }
}
