package dev.proxykit.api;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * An ordered list of HTTP header fields that keeps every name exactly as it arrived.
 *
 * <p><b>Case and order.</b> Names are stored byte for byte in the case they were received or added
 * ({@code x-lower} stays {@code x-lower}, {@code X-MiXeD} stays {@code X-MiXeD}) and fields keep their
 * order, including repeated fields such as several {@code Set-Cookie} lines. Lookup by name is
 * case-insensitive, as HTTP requires. Nothing here canonicalises a name.
 *
 * <p><b>Characters.</b> Names and values are {@link String}s in which every {@code char} is one octet
 * (ISO-8859-1): a value holding obs-text bytes (0x80-0xFF) reads back as the same octets and is written
 * out unchanged. Names must be RFC 9110 tokens; values must not contain CR, LF or NUL (leading and trailing
 * whitespace is the caller's business). Violations throw {@link IllegalArgumentException}, so a
 * plugin cannot inject a header line.
 *
 * <p><b>Threads.</b> An instance belongs to one exchange and is used by one thread at a time (the event loop
 * serving that exchange). It is not thread-safe and must not be kept after the call that received it returns.
 */
public interface Headers {

    /**
     * Returns a new, empty, mutable instance, for tests and for plugins that build headers of their own.
     */
    static Headers create() {
        return new ArrayHeaders();
    }

    /** Number of fields, counting each repetition of a name. */
    int size();

    /** Whether there are no fields. */
    default boolean isEmpty() {
        return size() == 0;
    }

    /**
     * Name of the field at {@code index}, in the case it was received or added.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    String name(int index);

    /**
     * Value of the field at {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    String value(int index);

    /** Value of the first field named {@code name} (any case), or {@code null} when there is none. */
    String get(CharSequence name);

    /** Values of all fields named {@code name} (any case), in order; an empty list when there is none. */
    List<String> getAll(CharSequence name);

    /** Whether a field named {@code name} (any case) is present. */
    default boolean contains(CharSequence name) {
        return get(name) != null;
    }

    /**
     * Appends a field after all others, keeping {@code name} exactly as given.
     *
     * @return this instance
     * @throws IllegalArgumentException if the name is not a token or the value holds CR, LF or NUL
     */
    Headers add(String name, String value);

    /**
     * Replaces every field named {@code name} (any case) by one field with {@code value}. The new field takes the
     * position of the first one removed and keeps that field's spelling of the name (so rewriting {@code host}
     * keeps {@code host}); when there was none it is appended with {@code name} as given.
     *
     * @return this instance
     * @throws IllegalArgumentException if the name is not a token or the value holds CR, LF or NUL
     */
    Headers set(String name, String value);

    /**
     * Removes every field named {@code name} (any case).
     *
     * @return whether anything was removed
     */
    boolean remove(CharSequence name);

    /** Calls {@code action} with each field's name and value, in order. */
    default void forEach(BiConsumer<String, String> action) {
        for (int i = 0, n = size(); i < n; i++) {
            action.accept(name(i), value(i));
        }
    }

    /**
     * Whether a comma-separated list in any field named {@code name} holds {@code token} (both compared
     * case-insensitively, surrounding whitespace ignored), as in {@code Connection: keep-alive, Upgrade}.
     */
    default boolean containsToken(CharSequence name, String token) {
        for (int i = 0, n = size(); i < n; i++) {
            if (HeaderNames.equalsIgnoreCase(name(i), name) && HeaderNames.listContains(value(i), token)) {
                return true;
            }
        }
        return false;
    }
}
