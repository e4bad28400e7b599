package dev.proxykit.api;

/** The mapping behind {@link ErrorClassifier#standard()}; see the table in {@link #classify(ProxyError)}. */
final class StandardErrorClassifier implements ErrorClassifier {

    static final StandardErrorClassifier INSTANCE = new StandardErrorClassifier();

    private static final Classification CLIENT_CLOSED = new Classification(499, "client_closed");
    private static final Classification CLIENT_TIMEOUT = new Classification(408, "client_timeout");
    private static final Classification BAD_REQUEST = new Classification(400, "bad_request");
    private static final Classification NO_UPSTREAM = new Classification(503, "no_live_upstream");
    private static final Classification REFUSED = new Classification(502, "upstream_refused");
    private static final Classification CONNECT_TIMEOUT = new Classification(504, "upstream_connect_timeout");
    private static final Classification TLS = new Classification(502, "upstream_tls_failure");
    private static final Classification UPSTREAM_CLOSED = new Classification(502, "upstream_closed");
    private static final Classification HEADER_TIMEOUT = new Classification(504, "upstream_response_header_timeout");
    private static final Classification UPSTREAM_IDLE = new Classification(504, "upstream_idle_timeout");
    private static final Classification INVALID_RESPONSE = new Classification(502, "upstream_invalid_response");
    private static final Classification PLUGIN = new Classification(500, "plugin_failure");
    private static final Classification SHUTDOWN = new Classification(503, "shutdown");
    private static final Classification INTERNAL = new Classification(500, "internal_error");

    /**
     * <pre>
     * CLIENT_CLOSED            499 client_closed
     * CLIENT_TIMEOUT           408 client_timeout
     * CLIENT_PROTOCOL_ERROR    400 bad_request
     * NO_UPSTREAM              503 no_live_upstream
     * CONNECT_REFUSED          502 upstream_refused
     * CONNECT_TIMEOUT          504 upstream_connect_timeout
     * TLS_FAILURE              502 upstream_tls_failure
     * UPSTREAM_CLOSED          502 upstream_closed
     * RESPONSE_HEADER_TIMEOUT  504 upstream_response_header_timeout
     * IDLE_TIMEOUT             408 client_timeout while reading the client, else 504 upstream_idle_timeout
     * INVALID_RESPONSE         502 upstream_invalid_response
     * PLUGIN_FAILURE           500 plugin_failure
     * SHUTDOWN                 503 shutdown
     * INTERNAL                 500 internal_error
     * </pre>
     */
    @Override
    public Classification classify(ProxyError error) {
        switch (error.kind()) {
            case CLIENT_CLOSED:
                return CLIENT_CLOSED;
            case CLIENT_TIMEOUT:
                return CLIENT_TIMEOUT;
            case CLIENT_PROTOCOL_ERROR:
                return BAD_REQUEST;
            case NO_UPSTREAM:
                return NO_UPSTREAM;
            case CONNECT_REFUSED:
                return REFUSED;
            case CONNECT_TIMEOUT:
                return CONNECT_TIMEOUT;
            case TLS_FAILURE:
                return TLS;
            case UPSTREAM_CLOSED:
                return UPSTREAM_CLOSED;
            case RESPONSE_HEADER_TIMEOUT:
                return HEADER_TIMEOUT;
            case IDLE_TIMEOUT:
                return error.phase() == Phase.CLIENT_READ ? CLIENT_TIMEOUT : UPSTREAM_IDLE;
            case INVALID_RESPONSE:
                return INVALID_RESPONSE;
            case PLUGIN_FAILURE:
                return PLUGIN;
            case SHUTDOWN:
                return SHUTDOWN;
            default:
                return INTERNAL;
        }
    }
}
