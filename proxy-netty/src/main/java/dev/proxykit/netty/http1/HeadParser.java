package dev.proxykit.netty.http1;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a complete message head (start line, fields, final empty line) held in a {@code byte[]}.
 *
 * <p>Requests are parsed strictly, as RFC 9112 asks of a server that must never let a request reach an upstream
 * ambiguously: CRLF line endings only (a bare CR or LF is 400), single spaces in the request line, no obs-fold, no
 * whitespace before a colon or inside a name, no CR, NUL or other control character in a value, exactly one Host in
 * HTTP/1.1, no Content-Length together with Transfer-Encoding, no two differing Content-Lengths, nothing but digits
 * in a Content-Length, and {@code chunked} as the only transfer coding (others are 501, like nginx).
 *
 * <p>Responses from upstreams are parsed as RFC 9112 asks of a proxy: whitespace before a colon is removed, obs-fold
 * is replaced by a space, a bare LF ends a line; anything that could change how the body is delimited (a bad
 * Content-Length) or inject a line (CR or NUL in a value) is an invalid response.
 *
 * <p>Stateless and thread-safe.
 */
final class HeadParser {

    /** Octets allowed in a request target: visible ASCII and obs-text, as nginx accepts. */
    private static final boolean[] TARGET = new boolean[256];
    /** Octets allowed in a field value: HTAB, SP, visible ASCII, obs-text. */
    private static final boolean[] VALUE = new boolean[256];
    /** Token characters (field names, methods). */
    private static final boolean[] TOKEN = new boolean[256];

    static {
        for (int c = 0x21; c <= 0xFF; c++) {
            TARGET[c] = c != 0x7F;
            VALUE[c] = c != 0x7F;
        }
        VALUE[' '] = true;
        VALUE['\t'] = true;
        for (int c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private HeadParser() {
    }

    // ------------------------------------------------------------------------------------------ requests

    static RequestHead parseRequest(byte[] b, int len) throws HttpParseException {
        int lineEnd = requestLineEnd(b, 0, len);
        // method
        int p = 0;
        while (p < lineEnd && TOKEN[b[p] & 0xFF]) {
            p++;
        }
        if (p == 0 || p >= lineEnd || b[p] != ' ') {
            throw bad("invalid method or separator in the request line");
        }
        String method = method(b, p);
        int targetStart = ++p;
        while (p < lineEnd && TARGET[b[p] & 0xFF]) {
            p++;
        }
        if (p == targetStart || p >= lineEnd || b[p] != ' ') {
            throw bad("invalid request target or separator in the request line");
        }
        String target = new String(b, targetStart, p - targetStart, StandardCharsets.ISO_8859_1);
        int versionStart = ++p;
        boolean http11 = parseRequestVersion(b, versionStart, lineEnd);

        HeaderBlock headers = new HeaderBlock(b, fieldLines(b, lineEnd + 2, len));
        int end = parseRequestFields(b, lineEnd + 2, len, headers);
        if (end != len) {
            throw bad("unexpected bytes after the header block");
        }
        return requestSemantics(method, target, http11, headers, len);
    }

    /** Index of the CR that ends the request line; rejects bare CR/LF and control characters in it. */
    private static int requestLineEnd(byte[] b, int from, int len) throws HttpParseException {
        for (int i = from; i < len; i++) {
            byte c = b[i];
            if (c == '\r') {
                if (i + 1 < len && b[i + 1] == '\n') {
                    return i;
                }
                throw bad("bare CR in the request line");
            }
            if (c == '\n') {
                throw bad("bare LF in the request line (expected: CRLF)");
            }
        }
        throw bad("unterminated request line");
    }

    private static boolean parseRequestVersion(byte[] b, int start, int end) throws HttpParseException {
        if (end - start == 8 && b[start] == 'H' && b[start + 1] == 'T' && b[start + 2] == 'T' && b[start + 3] == 'P'
                && b[start + 4] == '/' && isDigit(b[start + 5]) && b[start + 6] == '.' && isDigit(b[start + 7])) {
            int major = b[start + 5] - '0';
            int minor = b[start + 7] - '0';
            if (major == 1 && minor == 1) {
                return true;
            }
            if (major == 1 && minor == 0) {
                return false;
            }
            if (major == 1) {
                return true; // RFC 9110 2.5: a higher minor version is handled as the highest one supported, 1.1
            }
            throw new HttpParseException(505, "HTTP version " + major + "." + minor + " is not supported");
        }
        throw bad("invalid HTTP version in the request line");
    }

    /** Parses strict request fields starting at {@code p}; returns the index after the final CRLF. */
    static int parseRequestFields(byte[] b, int p, int len, HeaderBlock headers) throws HttpParseException {
        while (true) {
            if (p >= len) {
                throw bad("unterminated header block");
            }
            byte first = b[p];
            if (first == '\r') {
                if (p + 1 < len && b[p + 1] == '\n') {
                    return p + 2;
                }
                throw bad("bare CR in the header block");
            }
            if (first == '\n') {
                throw bad("bare LF in the header block (expected: CRLF)");
            }
            if (first == ' ' || first == '\t') {
                throw bad("obs-fold or whitespace at the start of a header line");
            }
            int nameStart = p;
            while (p < len && TOKEN[b[p] & 0xFF]) {
                p++;
            }
            if (p >= len || b[p] != ':') {
                byte c = p < len ? b[p] : 0;
                throw bad(c == ' ' || c == '\t' ? "whitespace before the colon or inside a header name"
                        : "invalid character 0x" + Integer.toHexString(c & 0xFF) + " in a header name");
            }
            if (p == nameStart) {
                throw bad("empty header name");
            }
            int nameEnd = p++;
            while (p < len && (b[p] == ' ' || b[p] == '\t')) {
                p++;
            }
            int valueStart = p;
            int valueEnd = p;
            while (p < len) {
                int c = b[p] & 0xFF;
                if (c == '\r') {
                    break;
                }
                if (!VALUE[c]) {
                    throw bad(c == '\n' ? "bare LF in a header value (expected: CRLF)"
                            : "invalid character 0x" + Integer.toHexString(c) + " in a header value");
                }
                if (c != ' ' && c != '\t') {
                    valueEnd = p + 1;
                }
                p++;
            }
            if (p + 1 >= len || b[p + 1] != '\n') {
                throw bad("bare CR in a header value");
            }
            headers.addRaw(nameStart, nameEnd - nameStart, valueStart, valueEnd - valueStart);
            p += 2;
        }
    }

    private static RequestHead requestSemantics(String method, String target, boolean http11, HeaderBlock headers,
                                                int headLength) throws HttpParseException {
        int hosts = 0;
        int cl = -1;
        long contentLength = -1;
        boolean te = false;
        boolean chunked = false;
        boolean close = false;
        boolean keepAliveToken = false;
        boolean expectContinue = false;
        for (int i = 0, n = headers.size(); i < n; i++) {
            if (headers.nameEquals(i, "host")) {
                hosts++;
                checkHost(headers.value(i));
            } else if (headers.nameEquals(i, "content-length")) {
                long v = headers.contentLength(i);
                if (v < 0) {
                    throw bad("invalid Content-Length \"" + headers.value(i) + "\"");
                }
                if (contentLength >= 0 && v != contentLength) {
                    throw bad("two differing Content-Length values");
                }
                contentLength = v;
                cl = i;
            } else if (headers.nameEquals(i, "transfer-encoding")) {
                te = true;
                chunked = transferCodings(headers.value(i), chunked);
            } else if (headers.nameEquals(i, "connection")) {
                close |= headers.valueListContains(i, "close");
                keepAliveToken |= headers.valueListContains(i, "keep-alive");
            } else if (headers.nameEquals(i, "expect")) {
                expectContinue |= headers.value(i).equalsIgnoreCase("100-continue");
            }
        }
        if (http11 && hosts == 0) {
            throw bad("an HTTP/1.1 request without Host");
        }
        if (hosts > 1) {
            throw bad("more than one Host header");
        }
        BodyKind body = BodyKind.NONE;
        if (te) {
            if (!http11) {
                throw bad("Transfer-Encoding in an HTTP/1.0 request");
            }
            if (cl >= 0) {
                throw bad("both Content-Length and Transfer-Encoding");
            }
            if (!chunked) {
                throw bad("Transfer-Encoding without chunked as the final coding");
            }
            body = BodyKind.CHUNKED;
        } else if (cl >= 0) {
            body = BodyKind.LENGTH;
        }
        if (expectContinue && !http11) {
            // RFC 9110 10.1.1: an HTTP/1.0 request's 100-continue expectation is ignored; sent on in the HTTP/1.1
            // request that goes upstream, it would have the upstream wait for a go-ahead the client never awaits
            headers.remove("Expect");
        }
        boolean keepAlive = http11 ? !close : keepAliveToken && !close;
        return new RequestHead(method, target, http11, headers, body, body == BodyKind.LENGTH ? contentLength : -1,
                keepAlive, expectContinue && http11, headLength, absoluteAuthority(method, target));
    }

    /**
     * Checks the form of a request target (RFC 9112 3.2) and returns the authority of an absolute-form one, checked
     * as a Host value (it replaces Host: RFC 9112 3.2.2), or {@code null}: origin-form {@code /path}; absolute-form
     * with the {@code http} or {@code https} scheme and a non-empty host, no userinfo; {@code *} for OPTIONS only;
     * anything goes for CONNECT, which the engine refuses.
     */
    private static String absoluteAuthority(String method, String target) throws HttpParseException {
        if (target.charAt(0) == '/' || method.equals("CONNECT")) {
            return null;
        }
        if (target.equals("*")) {
            if (method.equals("OPTIONS")) {
                return null;
            }
            throw bad("the target * is for OPTIONS only");
        }
        int start = target.regionMatches(true, 0, "http://", 0, 7) ? 7
                : target.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (start < 0) {
            throw bad("invalid request target \"" + target + "\" (expected: /path, or http:// or https:// and a host)");
        }
        int end = start;
        while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') {
            end++;
        }
        String authority = target.substring(start, end);
        if (authority.isEmpty() || authority.charAt(0) == ':') {
            throw bad("no host in the request target \"" + target + "\"");
        }
        try {
            checkHost(authority);
        } catch (HttpParseException e) {
            throw bad("invalid authority in the request target \"" + target + "\"");
        }
        return authority;
    }

    /**
     * Checks a Transfer-Encoding field of a request: only {@code chunked}, once. Returns whether chunked was seen.
     */
    private static boolean transferCodings(String value, boolean chunkedBefore) throws HttpParseException {
        boolean chunked = chunkedBefore;
        for (String coding : value.split(",", -1)) {
            String c = coding.trim();
            if (c.isEmpty()) {
                continue;
            }
            if (!c.equalsIgnoreCase("chunked")) {
                throw new HttpParseException(501, "transfer coding \"" + c + "\" is not implemented");
            }
            if (chunked) {
                throw bad("chunked applied more than once");
            }
            chunked = true;
        }
        return chunked;
    }

    /** A Host value: reg-name or IPv4, or an IPv6 literal in brackets, with an optional port; may be empty. */
    private static void checkHost(String v) throws HttpParseException {
        int i = 0;
        int n = v.length();
        if (n > 0 && v.charAt(0) == '[') {
            int close = v.indexOf(']');
            if (close < 0) {
                throw bad("invalid Host \"" + v + "\"");
            }
            for (i = 1; i < close; i++) {
                char c = v.charAt(i);
                if (!(isHexChar(c) || c == ':' || c == '.')) {
                    throw bad("invalid Host \"" + v + "\"");
                }
            }
            i = close + 1;
        } else {
            for (; i < n && v.charAt(i) != ':'; i++) {
                char c = v.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || "-._~!$&'()*+,;=%".indexOf(c) >= 0;
                if (!ok) {
                    throw bad("invalid Host \"" + v + "\"");
                }
            }
        }
        if (i < n) {
            if (v.charAt(i) != ':') {
                throw bad("invalid Host \"" + v + "\"");
            }
            int port = 0;
            for (int first = ++i; i < n; i++) {
                if (!isDigit((byte) v.charAt(i)) || i - first >= 5 || (port = port * 10 + v.charAt(i) - '0') > 65535) {
                    throw bad("invalid port in Host \"" + v + "\" (expected: 0 to 65535)");
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------- responses

    /**
     * Parses a response head.
     *
     * @param headRequest whether the request was HEAD (the response then has no body, whatever it declares)
     * @throws HttpParseException with status 502 when the response is invalid
     */
    static ResponseHead parseResponse(byte[] b, int len, boolean headRequest) throws HttpParseException {
        int lineEnd = lenientLineEnd(b, 0, len);
        int lineEndExclusive = lineEnd > 0 && b[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (lineEndExclusive < 12 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/'
                || b[5] != '1' || b[6] != '.' || !isDigit(b[7]) || b[8] != ' '
                || !isDigit(b[9]) || !isDigit(b[10]) || !isDigit(b[11])) {
            throw invalidResponse("invalid status line");
        }
        boolean http11 = b[7] != '0';
        int status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
        if (status < 100 || status > 599) {
            throw invalidResponse("status " + status + " out of range");
        }
        String reason = "";
        if (lineEndExclusive > 12) {
            if (b[12] != ' ') {
                throw invalidResponse("invalid status line");
            }
            for (int i = 13; i < lineEndExclusive; i++) {
                int c = b[i] & 0xFF;
                if (!VALUE[c]) {
                    throw invalidResponse("invalid character 0x" + Integer.toHexString(c) + " in the reason phrase");
                }
            }
            reason = lineEndExclusive == 15 && b[13] == 'O' && b[14] == 'K'
                    ? "OK" : new String(b, 13, lineEndExclusive - 13, StandardCharsets.ISO_8859_1);
        }
        HeaderBlock headers = new HeaderBlock(b, fieldLines(b, lineEnd + 1, len));
        parseLenientFields(b, lineEnd + 1, len, headers);
        return responseSemantics(status, reason, http11, headers, headRequest, len);
    }

    /**
     * Parses response or trailer fields leniently (as a proxy must) from {@code p}; returns the index after the empty
     * line.
     */
    static int parseLenientFields(byte[] b, int p, int len, HeaderBlock headers) throws HttpParseException {
        while (true) {
            if (p >= len) {
                throw invalidResponse("unterminated header block");
            }
            int next = canonicalField(b, p, len, headers);
            if (next >= 0) {
                p = next;
                continue;
            }
            int lineEnd = lenientLineEnd(b, p, len);
            int end = lineEnd > p && b[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (end == p) {
                return lineEnd + 1;
            }
            byte first = b[p];
            if (first == ' ' || first == '\t') {
                // obs-fold: a proxy replaces it with a space (RFC 9112 section 5.2)
                if (headers.size() == 0) {
                    throw invalidResponse("whitespace before the first header line");
                }
                int last = headers.size() - 1;
                String folded = new String(b, p, end - p, StandardCharsets.ISO_8859_1).trim();
                checkLenientValue(b, p, end);
                headers.setValue(last, headers.value(last) + (folded.isEmpty() ? "" : " " + folded));
                p = lineEnd + 1;
                continue;
            }
            int nameStart = p;
            while (p < end && TOKEN[b[p] & 0xFF]) {
                p++;
            }
            int nameEnd = p;
            while (p < end && (b[p] == ' ' || b[p] == '\t')) {
                p++; // whitespace before the colon: removed, as RFC 9112 section 5.1 asks of a proxy
            }
            if (p >= end || b[p] != ':' || nameEnd == nameStart) {
                throw invalidResponse("invalid header line");
            }
            p++;
            while (p < end && (b[p] == ' ' || b[p] == '\t')) {
                p++;
            }
            int valueStart = p;
            int valueEnd = end;
            while (valueEnd > valueStart && (b[valueEnd - 1] == ' ' || b[valueEnd - 1] == '\t')) {
                valueEnd--;
            }
            checkLenientValue(b, valueStart, valueEnd);
            headers.addRaw(nameStart, nameEnd - nameStart, valueStart, valueEnd - valueStart);
            p = lineEnd + 1;
        }
    }

    /**
     * The common case of {@link #parseLenientFields} in one pass: a line {@code name OWS ":" OWS value} ending in CRLF
     * or LF, every value octet allowed. Adds the field and returns the index of the next line; returns -1, adding
     * nothing, for any other line (the empty line, obs-fold, anything invalid), which the caller then reads line by
     * line as before. It accepts only lines that the line-by-line reading accepts, with the same result.
     */
    private static int canonicalField(byte[] b, int p, int len, HeaderBlock headers) {
        int q = p;
        while (q < len && TOKEN[b[q] & 0xFF]) {
            q++;
        }
        int nameEnd = q;
        if (nameEnd == p) {
            return -1;
        }
        while (q < len && (b[q] == ' ' || b[q] == '\t')) {
            q++;
        }
        if (q >= len || b[q] != ':') {
            return -1;
        }
        q++;
        while (q < len && (b[q] == ' ' || b[q] == '\t')) {
            q++;
        }
        int valueStart = q;
        while (q < len && VALUE[b[q] & 0xFF]) {
            q++;
        }
        int lineEnd;
        if (q < len && b[q] == '\n') {
            lineEnd = q;
        } else if (q + 1 < len && b[q] == '\r' && b[q + 1] == '\n') {
            lineEnd = q + 1;
        } else {
            return -1;
        }
        int valueEnd = q;
        while (valueEnd > valueStart && (b[valueEnd - 1] == ' ' || b[valueEnd - 1] == '\t')) {
            valueEnd--;
        }
        headers.addRaw(p, nameEnd - p, valueStart, valueEnd - valueStart);
        return lineEnd + 1;
    }

    private static void checkLenientValue(byte[] b, int from, int to) throws HttpParseException {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xFF;
            if (!VALUE[c]) {
                throw invalidResponse("invalid character 0x" + Integer.toHexString(c) + " in a header value");
            }
        }
    }

    /** Index of the LF that ends the line starting at {@code from}; a CR not followed by LF is invalid. */
    private static int lenientLineEnd(byte[] b, int from, int len) throws HttpParseException {
        for (int i = from; i < len; i++) {
            byte c = b[i];
            if (c == '\n') {
                return i;
            }
            if (c == '\r' && (i + 1 >= len || b[i + 1] != '\n')) {
                throw invalidResponse("bare CR in the response head");
            }
        }
        throw invalidResponse("unterminated line");
    }

    private static ResponseHead responseSemantics(int status, String reason, boolean http11, HeaderBlock headers,
                                                  boolean headRequest, int headLength) throws HttpParseException {
        long contentLength = -1;
        boolean hasCl = false;
        boolean clToNormalise = false;
        boolean te = false;
        boolean lastChunked = false;
        boolean chunkedNotLast = false;
        int codings = 0;
        boolean close = false;
        boolean keepAliveToken = false;
        for (int i = 0, n = headers.size(); i < n; i++) {
            if (headers.nameEquals(i, "content-length")) {
                long v = headers.contentLength(i);
                if (v < 0 || (hasCl && v != contentLength)) {
                    throw invalidResponse("invalid Content-Length \"" + headers.value(i) + "\"");
                }
                clToNormalise |= hasCl || headers.valueContains(i, ','); // no String per response
                contentLength = v;
                hasCl = true;
            } else if (headers.nameEquals(i, "transfer-encoding")) {
                // the codings of every field line in order; empty list elements do not count (RFC 9110 5.6.1), so
                // "chunked" then an empty line, or "chunked, ", still ends in chunked
                for (String element : headers.value(i).split(",")) {
                    String coding = element.trim();
                    if (!coding.isEmpty()) {
                        chunkedNotLast |= lastChunked;
                        lastChunked = coding.equalsIgnoreCase("chunked");
                        codings++;
                    }
                }
                te = true;
            } else if (headers.nameEquals(i, "connection")) {
                close |= headers.valueListContains(i, "close");
                keepAliveToken |= headers.valueListContains(i, "keep-alive");
            }
        }
        if (te && codings == 0) {
            throw invalidResponse("Transfer-Encoding without a coding");
        }
        if (chunkedNotLast) {
            // chunked applied, then another coding on top (or chunked twice): such a body could only be read until
            // the connection closes and passed on undecoded; nginx fails it too
            throw invalidResponse("chunked is not the final transfer coding");
        }
        boolean otherCodings = codings > 1 || te && !lastChunked; // anything but one "chunked"
        boolean keepAlive = http11 ? !close : keepAliveToken && !close;
        BodyKind body;
        String codingsBesideChunked = null;
        if (headRequest || status < 200 || status == 204 || status == 304) {
            body = BodyKind.NONE;
            if (hasCl && te) {
                // RFC 9112 6.3: a message with both has its Content-Length removed before it is forwarded, and the
                // connection that sent it is not reused (a likely smuggling attempt), as for a response with a body
                headers.remove("Content-Length");
                keepAlive = false;
            } else if (hasCl && (status < 200 || status == 204)) {
                headers.remove("Content-Length"); // RFC 9110 8.6: never in a 1xx or 204; a next hop might believe it
            } else if (clToNormalise) {
                headers.setUnchecked("Content-Length", Long.toString(contentLength));
            }
        } else if (te) {
            if (hasCl) {
                // Transfer-Encoding wins; never forward both, and never reuse a connection that sent both: RFC 9112
                // 6.3 calls it a likely smuggling attempt
                headers.remove("Content-Length");
                contentLength = -1;
                keepAlive = false;
            }
            body = lastChunked ? BodyKind.CHUNKED : BodyKind.UNTIL_CLOSE;
            keepAlive &= lastChunked;
            if (otherCodings) {
                codingsBesideChunked = codingsBesideChunked(headers);
            }
        } else if (hasCl) {
            body = BodyKind.LENGTH;
            if (clToNormalise) {
                headers.setUnchecked("Content-Length", Long.toString(contentLength)); // one field, one number
            }
        } else {
            body = BodyKind.UNTIL_CLOSE;
            keepAlive = false;
        }
        return new ResponseHead(status, reason, http11, headers, body, body == BodyKind.LENGTH ? contentLength : -1,
                keepAlive, headLength, codingsBesideChunked);
    }

    /** See {@link ResponseHead#codingsBesideChunked()}; read only when the codings are not just one chunked. */
    private static String codingsBesideChunked(HeaderBlock h) {
        List<String> codings = new ArrayList<>(2);
        for (int i = h.indexOf("Transfer-Encoding", 0); i >= 0; i = h.indexOf("Transfer-Encoding", i + 1)) {
            for (String coding : h.value(i).split(",")) {
                String c = coding.trim();
                if (!c.isEmpty()) {
                    codings.add(c);
                }
            }
        }
        if (!codings.isEmpty() && codings.get(codings.size() - 1).equalsIgnoreCase("chunked")) {
            codings.remove(codings.size() - 1);
        }
        for (String c : codings) {
            if (c.equalsIgnoreCase("chunked")) {
                return null;
            }
        }
        return codings.isEmpty() ? null : String.join(", ", codings);
    }

    // ---------------------------------------------------------------------------------------------- shared

    /**
     * A Content-Length value in {@code b[from, to)}: digits, or a comma list of equal values (RFC 9110 8.6 permits
     * it), each element with optional whitespace around; at most 18 digits each. -1 when invalid.
     */
    static long parseContentLength(byte[] b, int from, int to) {
        long result = -1;
        int p = from;
        while (true) {
            while (p < to && (b[p] == ' ' || b[p] == '\t')) {
                p++;
            }
            int digitsStart = p;
            long n = 0;
            while (p < to && b[p] >= '0' && b[p] <= '9') {
                n = n * 10 + (b[p] - '0');
                p++;
            }
            if (p == digitsStart || p - digitsStart > 18 || result >= 0 && n != result) {
                return -1;
            }
            result = n;
            while (p < to && (b[p] == ' ' || b[p] == '\t')) {
                p++;
            }
            if (p == to) {
                return result;
            }
            if (b[p] != ',') {
                return -1;
            }
            p++;
        }
    }

    /**
     * How many header lines there are from {@code from} to {@code len} (at least as many as fields): the LFs, less the
     * one of the final empty line. Sizes a {@link HeaderBlock} exactly instead of for 16 fields (a 1-field request
     * then takes 144 bytes of arrays instead of 432).
     */
    private static int fieldLines(byte[] b, int from, int len) {
        return Math.max(0, countNewlines(b, from, len) - 1);
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;

    /** How many {@code '\n'} are in {@code b[from, to)}: eight bytes at a time, then one by one. */
    static int countNewlines(byte[] b, int from, int to) {
        int n = 0;
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long x = (long) LONGS.get(b, i) ^ NEWLINES; // a '\n' byte becomes 0
            // the high bit of each byte of t is set exactly when that byte of x is 0 (no carry crosses bytes)
            long t = ~(((x & LOW7) + LOW7) | x | LOW7);
            n += Long.bitCount(t);
        }
        for (; i < to; i++) {
            if (b[i] == '\n') {
                n++;
            }
        }
        return n;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHexChar(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** The usual methods, which {@link #method} returns without making a String. */
    private static final String[] KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

    /** The method in {@code b[0, end)}: one of {@link #KNOWN_METHODS} when it is one (methods are case-sensitive). */
    private static String method(byte[] b, int end) {
        for (String known : KNOWN_METHODS) {
            if (known.length() == end && startsWith(b, known)) {
                return known;
            }
        }
        return ascii(b, 0, end);
    }

    /** Whether {@code b} starts with the octets of {@code s} (one char each). */
    private static boolean startsWith(byte[] b, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (b[i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String ascii(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    static HttpParseException bad(String message) {
        return new HttpParseException(400, message);
    }

    static HttpParseException invalidResponse(String message) {
        return new HttpParseException(502, message);
    }
}
