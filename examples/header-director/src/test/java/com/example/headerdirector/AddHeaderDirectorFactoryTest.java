package com.example.headerdirector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.proxykit.api.Director;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.Headers;
import dev.proxykit.api.PluginContext;
import dev.proxykit.api.ProxyRequest;
import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * The plugin tested against the API alone: a {@link PluginContext} over HOCON text and this plugin's own
 * {@code reference.conf}, and a {@link ProxyRequest} over {@link Headers#create()}. No proxy, no network.
 */
class AddHeaderDirectorFactoryTest {

    @Test
    void addsTheConfiguredHeaderAfterTheClientsFields() {
        Director director = create("name = \"X-Hello\", value = \"world\"");
        TestRequest request = new TestRequest("Host", "example.com", "Accept", "*/*");

        director.direct(request);

        assertEquals(List.of("Host: example.com", "Accept: */*", "X-Hello: world"), request.lines());
    }

    @Test
    void replacesWhatTheClientSentByDefaultSoItCannotBeForged() {
        Director director = create("name = X-Hello, value = world");
        TestRequest request = new TestRequest("x-hello", "forged", "Accept", "*/*", "X-HELLO", "forged again");

        director.direct(request);

        assertEquals(List.of("Accept: */*", "X-Hello: world"), request.lines());
    }

    @Test
    void appendsAfterTheClientsFieldsWhenReplaceIsFalse() {
        Director director = create("name = X-Hello, value = world, replace = false");
        TestRequest request = new TestRequest("x-hello", "client");

        director.direct(request);

        assertEquals(List.of("x-hello: client", "X-Hello: world"), request.lines());
    }

    @Test
    void numbersAndEmptyStringsAreValidValues() {
        TestRequest request = new TestRequest();

        create("name = X-Version, value = 42").direct(request);
        create("name = X-Empty, value = \"\"").direct(request);

        assertEquals(List.of("X-Version: 42", "X-Empty: "), request.lines());
    }

    @Test
    void theDefaultsComeFromThePluginsOwnReferenceConf() {
        Config defaults = defaults();

        assertEquals(true, defaults.getBoolean("replace"));
        assertEquals(List.of("replace"), List.copyOf(defaults.root().keySet()));
    }

    @Test
    void aNameThatIsNotATokenIsRefused() {
        for (String name : List.of("\"X Hello\"", "\"X-Hello:\"", "\"\"", "\"X-Héllo\"")) {
            Invalid e = fails("name = " + name + ", value = world");

            assertEquals("name", e.path, name);
            assertTrue(e.expected.startsWith("a header name: a token"), e.expected);
        }
    }

    @Test
    void headersTheProxyManagesAreRefused() {
        for (String name : List.of("Host", "content-length", "Transfer-Encoding", "Connection", "Upgrade", "TE")) {
            Invalid e = fails("name = " + name + ", value = x");

            assertEquals("name", e.path, name);
        }
    }

    @Test
    void aValueWithALineBreakIsRefusedSoNoHeaderCanBeInjected() {
        Invalid crlf = fails("name = X-Hello, value = \"world\\r\\nX-Injected: yes\"");
        Invalid lf = fails("name = X-Hello, value = \"world\\nX-Injected: yes\"");

        assertEquals("value", crlf.path);
        assertTrue(crlf.expected.endsWith("found a line break (CR) at index 5"), crlf.expected);
        assertTrue(lf.expected.endsWith("found a line break (LF) at index 5"), lf.expected);
    }

    @Test
    void aValueWithControlCharactersWideCharactersOrSurroundingSpaceIsRefused() {
        assertTrue(fails("name = X-Hello, value = \"a\\u0000b\"").expected.endsWith("control character 0x0 at index 1"));
        assertTrue(fails("name = X-Hello, value = \"\\u20ac\"").expected.contains("not ISO-8859-1"));
        assertTrue(fails("name = X-Hello, value = \" world\"").expected.endsWith("leading or trailing whitespace"));
    }

    @Test
    void missingNameOrValueIsRefused() {
        assertEquals("name", fails("value = world").path);
        assertEquals("value", fails("name = X-Hello").path);
        assertEquals("value", fails("name = X-Hello, value = null").path);
        assertEquals("value", fails("name = X-Hello, value = [a, b]").path);
    }

    @Test
    void anUnknownSettingOrANonBooleanReplaceIsRefused() {
        Invalid typo = fails("name = X-Hello, valeu = world, value = world");
        Invalid replace = fails("name = X-Hello, value = world, replace = sometimes");

        assertEquals("valeu", typo.path);
        assertEquals("replace", replace.path);
    }

    @Test
    void theServicesFileListsTheFactory() {
        List<String> names = new ArrayList<>();
        ServiceLoader.load(DirectorFactory.class, getClass().getClassLoader()).forEach(f -> names.add(f.name()));

        assertEquals(List.of("add-header"), names);
    }

    private static Config defaults() {
        return ConfigFactory.parseResources(AddHeaderDirectorFactory.class.getClassLoader(), "reference.conf")
                .resolve()
                .getConfig("proxykit.plugins.add-header");
    }

    private static Director create(String settings) {
        return new AddHeaderDirectorFactory().create(new TestContext(settings));
    }

    private static Invalid fails(String settings) {
        return assertThrows(Invalid.class, () -> create(settings));
    }

    /** What {@link PluginContext#invalid} returned: the key and the expectation, which tests check. */
    private static final class Invalid extends ConfigException.BadValue {
        private static final long serialVersionUID = 1L;
        final String path;
        final String expected;

        Invalid(String path, String expected) {
            super(path, expected);
            this.path = path;
            this.expected = expected;
        }
    }

    /** A context as proxykit builds it: the instance's settings over the plugin's defaults. */
    private static final class TestContext implements PluginContext {
        private final Config config;

        TestContext(String settings) {
            this.config = ConfigFactory.parseString(settings).withFallback(defaults()).resolve();
        }

        @Override
        public String pluginName() {
            return AddHeaderDirectorFactory.NAME;
        }

        @Override
        public Config config() {
            return config;
        }

        @Override
        public String route() {
            return "test-route";
        }

        @Override
        public List<Upstream> upstreams() {
            return List.of(Upstream.parse("http://127.0.0.1:9292"));
        }

        @Override
        public ConfigException invalid(String path, String expected) {
            return new Invalid(path, expected);
        }
    }

    /** The outbound request a director sees, over {@link Headers#create()}; only what add-header needs. */
    private static final class TestRequest implements ProxyRequest {
        private final Headers headers = Headers.create();
        private String method = "GET";
        private String target = "/";

        /** @param fields names and values, alternating, as the client sent them */
        TestRequest(String... fields) {
            for (int i = 0; i < fields.length; i += 2) {
                headers.add(fields[i], fields[i + 1]);
            }
        }

        List<String> lines() {
            List<String> lines = new ArrayList<>();
            headers.forEach((name, value) -> lines.add(name + ": " + value));
            return lines;
        }

        @Override
        public RequestInfo inbound() {
            throw new UnsupportedOperationException("add-header does not read the inbound request");
        }

        @Override
        public Upstream upstream() {
            return Upstream.parse("http://127.0.0.1:9292");
        }

        @Override
        public String method() {
            return method;
        }

        @Override
        public void setMethod(String method) {
            this.method = method;
        }

        @Override
        public String target() {
            return target;
        }

        @Override
        public void setTarget(String target) {
            this.target = target;
        }

        @Override
        public Headers headers() {
            return headers;
        }
    }
}
