package dev.proxykit.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.ErrorClassifierFactory;
import dev.proxykit.api.PluginFactory;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PluginDiscoveryTest {

    private static Map<String, PluginFactory> load(Class<? extends PluginFactory> type) {
        Map<String, PluginFactory> byName = new TreeMap<>();
        ServiceLoader.load(type, PluginDiscoveryTest.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .forEach(f -> assertEquals(null, byName.put(f.name(), f), "name used twice: " + f.name()));
        return byName;
    }

    @Test
    void serviceLoaderFindsEveryFactoryByName() {
        assertEquals(List.of("host-rewrite", "single-host"), List.copyOf(load(DirectorFactory.class).keySet()));
        assertEquals(List.of("consistent-hash", "first", "least-request", "random", "round-robin",
                "weighted-round-robin"), List.copyOf(load(UpstreamSelectorFactory.class).keySet()));
        assertEquals(List.of("default"), List.copyOf(load(ErrorClassifierFactory.class).keySet()));
        assertEquals(List.of("combined", "json"), List.copyOf(load(AccessLoggerFactory.class).keySet()));
    }

    @Test
    void everyFactoryHasAValidNameAndAOneLineDescription() {
        for (Class<? extends PluginFactory> type : List.of(DirectorFactory.class, UpstreamSelectorFactory.class,
                ErrorClassifierFactory.class, AccessLoggerFactory.class)) {
            for (PluginFactory factory : load(type).values()) {
                assertTrue(factory.name().matches("[a-z][a-z0-9-]*"), factory.name());
                String description = factory.description();
                assertFalse(description.isBlank(), factory.name());
                assertFalse(description.contains("\n"), factory.name());
                assertTrue(description.length() <= 120, factory.name() + ": " + description.length() + " chars");
            }
        }
    }

    @Test
    void everyFactoryHasADefaultsBlockInReferenceConf() {
        for (String name : List.of("single-host", "host-rewrite", "round-robin", "weighted-round-robin", "least-request",
                "random", "consistent-hash", "first", "default", "combined", "json")) {
            assertTrue(TestPluginContext.defaultsBlockExists(name), "proxykit.plugins." + name + " missing from reference.conf");
        }
    }
}
