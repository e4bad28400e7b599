package dev.proxykit.runtime.config;

import java.util.List;

/**
 * {@code forwarded { ... }}, {@code trusted-proxies} and {@code via} under {@code proxykit}, overridable in a route:
 * what the proxy tells the upstream about the client.
 *
 * @param xForwardedFor   set {@code X-Forwarded-For} ({@code forwarded.x-forwarded-for})
 * @param xForwardedHost  set {@code X-Forwarded-Host} to the inbound Host ({@code forwarded.x-forwarded-host})
 * @param xForwardedProto set {@code X-Forwarded-Proto} to the inbound scheme ({@code forwarded.x-forwarded-proto})
 * @param trustedProxies  client networks whose {@code X-Forwarded-*} and {@code Forwarded} headers are kept and
 *                        appended to; from anyone else they are dropped ({@code trusted-proxies}, CIDR strings)
 * @param via             a pseudonym to add to {@code Via} (as {@code 1.1 <via>}), or {@code null} for no Via
 */
public record ForwardedSettings(boolean xForwardedFor, boolean xForwardedHost, boolean xForwardedProto,
                                List<Cidr> trustedProxies, String via) {

    public ForwardedSettings {
        trustedProxies = List.copyOf(trustedProxies);
    }
}
