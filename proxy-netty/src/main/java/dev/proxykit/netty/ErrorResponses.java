package dev.proxykit.netty;

import dev.proxykit.netty.http1.BodyKind;
import dev.proxykit.netty.http1.HeaderBlock;
import dev.proxykit.netty.http1.LastChunk;
import dev.proxykit.netty.http1.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;

/** Responses the proxy writes itself: a short plain-text body naming the status, like nginx's error pages. */
final class ErrorResponses {

    private ErrorResponses() {
    }

    /** The reason phrase of a status the proxy sends. */
    static String reasonPhrase(int status) {
        switch (status) {
            case 400: return "Bad Request";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 408: return "Request Timeout";
            case 413: return "Content Too Large";
            case 414: return "URI Too Long";
            case 417: return "Expectation Failed";
            case 431: return "Request Header Fields Too Large";
            case 499: return "Client Closed Request";
            case 500: return "Internal Server Error";
            case 501: return "Not Implemented";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            case 505: return "HTTP Version Not Supported";
            default: return status < 500 ? "Client Error" : "Server Error";
        }
    }

    /**
     * Writes and flushes a complete error response.
     *
     * @param keepAlive   whether the connection stays open (else {@code Connection: close} is sent)
     * @param headRequest whether the request was HEAD (headers only)
     * @param date        the {@code Date} field's value (RFC 9110 6.6.1: an origin with a clock sends one)
     * @return the body bytes written (0 for HEAD)
     */
    static int write(Channel ch, int status, boolean keepAlive, boolean headRequest, String date) {
        String phrase = reasonPhrase(status);
        byte[] body = (status + " " + phrase + "\n").getBytes(StandardCharsets.US_ASCII);
        HeaderBlock h = new HeaderBlock(5);
        h.add("Date", date);
        h.add("Content-Type", "text/plain; charset=utf-8");
        h.add("Content-Length", Integer.toString(body.length));
        if (!keepAlive) {
            h.add("Connection", "close");
        }
        if (status == 405) {
            h.add("Allow", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE");
        }
        ch.write(ResponseHead.of(status, phrase, h, BodyKind.LENGTH, body.length), ch.voidPromise());
        if (!headRequest) {
            ByteBuf content = ch.alloc().buffer(body.length).writeBytes(body);
            ch.write(content, ch.voidPromise());
        }
        ch.writeAndFlush(LastChunk.EMPTY, ch.voidPromise());
        return headRequest ? 0 : body.length;
    }
}
