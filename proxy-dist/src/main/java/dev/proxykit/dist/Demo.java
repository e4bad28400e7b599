package dev.proxykit.dist;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code proxykit --demo}: the configuration it runs (the proxy on 127.0.0.1:3000, round-robin over two echo
 * upstreams on 127.0.0.1:9292 and 127.0.0.1:9293) and the banner it prints. These addresses are a fixed, public
 * contract. Stateless.
 */
final class Demo {

    /** The echo upstreams' ports, in the order the configuration lists them. */
    static final List<Integer> UPSTREAM_PORTS = List.of(9292, 9293);

    /** The origin the demo's text is parsed with: error messages about its own values name it. */
    static final String ORIGIN = "demo configuration";

    private static final String CONFIG = String.join("\n",
            "proxykit {",
            "  listen = \"127.0.0.1:3000\"",
            "  routes = [",
            "    {",
            "      name = demo",
            "      upstreams = [\"http://127.0.0.1:9292\", \"http://127.0.0.1:9293\"]",
            "      selector = round-robin",
            "    }",
            "  ]",
            "}",
            "");

    private Demo() {
    }

    /**
     * The demo's HOCON text. With {@code overrides}, the text then includes that file, so that every setting the file
     * gives replaces the demo's (its values keep their own file:line in error messages); last come the
     * {@code proxykit.*} entries of {@code properties} ({@code -Dproxykit.<key>=<value>}), which win over both, as
     * they do over a configuration file without {@code --demo}.
     *
     * @param overrides  an absolute path to a readable file, or {@code null}
     * @param properties usually {@code ConfigFactory.systemProperties()}; entries outside {@code proxykit} are ignored
     */
    static String config(Path overrides, Config properties) {
        StringBuilder text = new StringBuilder(CONFIG);
        if (overrides != null) {
            text.append("include required(file(").append(quote(overrides.toString())).append("))\n");
        }
        return text.append(properties(properties)).toString();
    }

    /**
     * The {@code proxykit.*} entries of {@code properties} as one HOCON line, {@code proxykit {...}}, that merges key
     * by key into a {@code proxykit} object before it; empty when there are none.
     */
    static String properties(Config properties) {
        return properties.hasPath("proxykit")
                ? "proxykit " + properties.getConfig("proxykit").root().render(ConfigRenderOptions.concise()) + "\n"
                : "";
    }

    /** What {@code --demo} prints once everything runs. */
    static String banner(InetSocketAddress proxy, List<EchoServer> upstreams, Path overrides) {
        String authority = proxy.getAddress() != null && proxy.getAddress().isAnyLocalAddress()
                ? "127.0.0.1:" + proxy.getPort() : Main.authority(proxy);
        String names = upstreams.stream().map(EchoServer::name).collect(Collectors.joining(" and "));
        String what = overrides == null
                ? "proxykit demo: the proxy on " + authority + " sends requests round-robin to the echo upstreams "
                        + names + ","
                // the file may have changed the routes, the selector, anything: say only what is sure
                : "proxykit demo: the proxy on " + authority + " runs the demo's settings with those of " + overrides
                        + " over them, in front of the echo upstreams " + names + ",";
        return String.join(System.lineSeparator(),
                "",
                what,
                "which answer with the request line and headers exactly as they received them. Try it:",
                "",
                "  curl -i http://" + authority + "/hello",
                "",
                "Press Ctrl-C to stop it.",
                "");
    }

    /** A HOCON (JSON) quoted string. */
    static String quote(String value) {
        StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"':
                    quoted.append("\\\"");
                    break;
                case '\\':
                    quoted.append("\\\\");
                    break;
                default:
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
            }
        }
        return quoted.append('"').toString();
    }
}
