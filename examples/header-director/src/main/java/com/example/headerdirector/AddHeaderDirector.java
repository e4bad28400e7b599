package com.example.headerdirector;

import dev.proxykit.api.Director;
import dev.proxykit.api.Headers;
import dev.proxykit.api.ProxyRequest;

/**
 * The director built by {@link AddHeaderDirectorFactory}: puts one configured field into the outbound headers.
 *
 * <p>Runs on an event loop, concurrently for many requests: it is immutable, never blocks and allocates nothing.
 * It uses only the {@link ProxyRequest} it is given and keeps nothing of it.
 */
final class AddHeaderDirector implements Director {

    private final String name;
    private final String value;
    private final boolean replace;

    /**
     * @param name    a valid header name, sent in this case
     * @param value   a valid header value
     * @param replace whether the client's fields of that name are removed first
     */
    AddHeaderDirector(String name, String value, boolean replace) {
        this.name = name;
        this.value = value;
        this.replace = replace;
    }

    @Override
    public void direct(ProxyRequest request) {
        Headers headers = request.headers();
        if (replace) {
            headers.remove(name);
        }
        headers.add(name, value);
    }

    @Override
    public String toString() {
        return "add-header[" + name + (replace ? ", replace" : ", append") + "]";
    }
}
