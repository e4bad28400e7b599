package dev.proxykit.plugins;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import org.junit.jupiter.api.function.Executable;

/** Assertions on the configuration errors plugins throw. */
final class ConfigAssertions {

    private ConfigAssertions() {
    }

    /**
     * Asserts that {@code create} throws a {@link ConfigException} that names {@code key}, the file
     * {@code test.conf} and each of {@code words}.
     */
    static ConfigException assertInvalid(Executable create, String key, String... words) {
        ConfigException e = assertThrows(ConfigException.class, create);
        String message = e.getMessage();
        assertTrue(message.contains("'" + key + "'"), () -> "key '" + key + "' missing from: " + message);
        assertTrue(message.contains("test.conf"), () -> "origin missing from: " + message);
        for (String word : words) {
            assertTrue(message.contains(word), () -> "\"" + word + "\" missing from: " + message);
        }
        return e;
    }
}
