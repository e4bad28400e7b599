package dev.proxykit.api;

/**
 * Helpers for header names and values as HTTP defines them: tokens, case-insensitive comparison and
 * comma-separated lists. Stateless and thread-safe.
 */
public final class HeaderNames {

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private HeaderNames() {
    }

    /** Whether {@code c} may appear in an RFC 9110 token (a header name, a method). */
    public static boolean isTokenChar(int c) {
        return c >= 0 && c < 128 && TCHAR[c];
    }

    /** Whether {@code s} is a non-empty RFC 9110 token. */
    public static boolean isToken(CharSequence s) {
        if (s == null || s.length() == 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTokenChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks a header name.
     *
     * @throws IllegalArgumentException if it is not a token
     */
    public static String checkName(String name) {
        if (!isToken(name)) {
            throw new IllegalArgumentException("header name: \"" + name + "\" (expected: a token, RFC 9110 section 5.1)");
        }
        return name;
    }

    /**
     * Checks a header value: any octet but CR, LF and NUL, each {@code char} below 256.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static String checkValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("header " + name + ": null value (expected: a string, possibly empty)");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 0xFF) {
                throw new IllegalArgumentException("header " + name + ": value has char 0x" + Integer.toHexString(c)
                        + " at " + i + " (expected: no CR, LF or NUL, octets only)");
            }
        }
        return value;
    }

    /** ASCII case-insensitive equality of two names. */
    public static boolean equalsIgnoreCase(CharSequence a, CharSequence b) {
        int n = a.length();
        if (n != b.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y && toLower(x) != toLower(y)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the comma-separated list {@code value} holds {@code token}, compared case-insensitively with
     * surrounding spaces and tabs ignored.
     */
    public static boolean listContains(String value, String token) {
        int start = 0;
        int len = value.length();
        while (start <= len) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? len : comma;
            int s = start;
            int e = end;
            while (s < e && isOws(value.charAt(s))) {
                s++;
            }
            while (e > s && isOws(value.charAt(e - 1))) {
                e--;
            }
            if (e - s == token.length() && value.regionMatches(true, s, token, 0, e - s)) {
                return true;
            }
            if (comma < 0) {
                break;
            }
            start = comma + 1;
        }
        return false;
    }

    static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    static char toLower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }
}
