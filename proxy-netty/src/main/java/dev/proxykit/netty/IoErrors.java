package dev.proxykit.netty;

import io.netty.channel.ChannelException;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Network failures in the words an nginx user reads in an error log: {@code connect() failed (111: Connection
 * refused)}, {@code recv() failed (104: Connection reset by peer)}, not the Java class that carried them
 * ({@code io.netty.channel.AbstractChannel$AnnotatedConnectException: finishConnect(..) failed with error(-111):
 * Connection refused: /127.0.0.1:1}). The log line names the upstream or client already; the address a failure carries
 * is dropped. Anything that is not an I/O failure (a bug) keeps its class name.
 */
public final class IoErrors {

    /** Netty's native transports: {@code <call>(..) failed with error(-<errno>): <strerror>}, maybe an address after. */
    private static final Pattern NATIVE = Pattern.compile(
            "([A-Za-z]+)\\(\\.\\.\\) failed(?: with error\\((-?\\d+)\\))?: ([^:]+)(?::.*)?");

    private IoErrors() {
    }

    /** A one-line description of {@code cause} for a log line; "unknown error" for null. */
    public static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        Throwable inner = cause.getCause();
        if (inner instanceof IOException && (isAnnotation(cause) || cause instanceof DecoderException
                || cause instanceof ChannelException)) {
            // Netty's copy that adds the address to the message, or a wrapper: a codec's (of a TLS failure, say), or a
            // channel's that could not be made (no file descriptor left)
            return describe(inner);
        }
        String message = cause.getMessage();
        if (!(cause instanceof IOException)) {
            return cause.toString();
        }
        if (message == null || message.isBlank()) {
            if (cause instanceof NoRouteToHostException) {
                return "connect() failed (no route to host)"; // epoll's, for EHOSTUNREACH and ENETUNREACH alike
            }
            return cause instanceof ClosedChannelException ? "connection closed" : cause.getClass().getSimpleName();
        }
        if (cause instanceof SSLException) {
            return "TLS: " + message;
        }
        Matcher m = NATIVE.matcher(message);
        if (m.matches()) {
            String call = systemCall(m.group(1));
            int number = m.group(2) != null ? Integer.parseInt(m.group(2))
                    : cause instanceof Errors.NativeIoException n ? n.expectedErr() : 0;
            String errno = number == 0 ? "" : Math.abs(number) + ": ";
            return call + "() failed (" + errno + m.group(3).trim() + ")";
        }
        if (cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException)) {
            return "connect() failed (" + message + ")"; // the NIO transport's, with no errno
        }
        return message;
    }

    /** The system call of Netty's method: finishConnect → connect, newSocketStream → socket, writevAddresses → writev. */
    static String systemCall(String method) {
        String call = method;
        if (call.equals("finishConnect")) {
            return "connect";
        }
        if (call.startsWith("newSocket")) {
            return "socket"; // newSocketStream, newSocketDgram
        }
        for (String suffix : new String[] {"Addresses", "Address"}) {
            if (call.endsWith(suffix) && call.length() > suffix.length()) {
                call = call.substring(0, call.length() - suffix.length());
                break;
            }
        }
        return call.toLowerCase(Locale.ROOT);
    }

    private static boolean isAnnotation(Throwable t) {
        return t.getClass().getName().startsWith("io.netty.channel.AbstractChannel$Annotated");
    }
}
