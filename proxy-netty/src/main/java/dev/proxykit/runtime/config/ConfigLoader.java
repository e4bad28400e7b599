package dev.proxykit.runtime.config;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * Reads and validates the configuration into {@link ProxySettings}: defaults from {@code reference.conf}, then the
 * user's file, then {@code overrides} (usually {@code -Dproxykit.*} system properties). Unknown keys, bad values and
 * bad upstream URLs are all reported at once, each with its key, file and line.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * @param file      the user's file; {@code null} for defaults and overrides only
     * @param overrides highest-priority values, such as {@code ConfigFactory.systemProperties()}
     * @param home      the installation folder ({@code proxykit.home}), against which {@code plugins-dir} resolves;
     *                  {@code null} for the working directory
     * @throws ConfigProblems listing every problem found
     */
    public static ProxySettings load(Path file, Config overrides, Path home) throws ConfigProblems {
        throw new UnsupportedOperationException("not yet written");
    }

    /** Same as {@link #load(Path, Config, Path)} for a configuration given as text (tests, the demo). */
    public static ProxySettings parse(String hocon, String originDescription, Path home) throws ConfigProblems {
        throw new UnsupportedOperationException("not yet written");
    }
}
