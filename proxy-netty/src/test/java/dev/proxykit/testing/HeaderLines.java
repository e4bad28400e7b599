package dev.proxykit.testing;

import java.util.ArrayList;
import java.util.List;

/** Lookups over header lines kept as {name, value} pairs in received order, names in received case. */
public interface HeaderLines {

    /** The header lines, in order. */
    List<String[]> headers();

    /** First value of a header, any case, or null. */
    default String header(String name) {
        for (String[] h : headers()) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    /** Every value of a header, any case, in order. */
    default List<String> headers(String name) {
        List<String> all = new ArrayList<>();
        for (String[] h : headers()) {
            if (h[0].equalsIgnoreCase(name)) {
                all.add(h[1]);
            }
        }
        return all;
    }

    /** Header names exactly as received, in order. */
    default List<String> headerNames() {
        List<String> names = new ArrayList<>();
        for (String[] h : headers()) {
            names.add(h[0]);
        }
        return names;
    }
}
