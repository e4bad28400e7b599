package dev.proxykit.runtime.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * What {@code --list-plugins} shows about the JAR a factory comes from: where it is and its version. Reads files
 * (blocking); used during discovery only. Stateless.
 */
final class JarMetadata {

    static final String UNKNOWN = "unknown";

    private static final String MAVEN = "META-INF/maven/";
    private static final String POM_PROPERTIES = "pom.properties";
    private static final int MAX_DEPTH = 4;

    private JarMetadata() {
    }

    /** The JAR or class folder holding {@code type}, or {@code null} when the JVM does not say. */
    static Path location(Class<?> type) {
        CodeSource code = type.getProtectionDomain().getCodeSource();
        if (code == null || code.getLocation() == null) {
            return null;
        }
        try {
            return Path.of(code.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return null;
        }
    }

    /**
     * The version of a JAR or class folder: the manifest's {@code Implementation-Version}, else the
     * {@code version} of a {@code META-INF/maven/<group>/<artifact>/pom.properties}, else {@code "unknown"}.
     */
    static String version(Path location) {
        if (location == null) {
            return UNKNOWN;
        }
        try {
            String version = Files.isDirectory(location) ? folderVersion(location) : jarVersion(location);
            return version == null || version.isBlank() ? UNKNOWN : version.trim();
        } catch (IOException e) {
            return UNKNOWN;
        }
    }

    private static String jarVersion(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            Manifest manifest = file.getManifest();
            String version = manifest == null ? null
                    : manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
            if (version != null) {
                return version;
            }
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (entry.getName().startsWith(MAVEN) && entry.getName().endsWith("/" + POM_PROPERTIES)) {
                    try (InputStream in = file.getInputStream(entry)) {
                        return pomVersion(in);
                    }
                }
            }
            return null;
        }
    }

    private static String folderVersion(Path folder) throws IOException {
        Path manifestFile = folder.resolve(JarFile.MANIFEST_NAME);
        if (Files.isRegularFile(manifestFile)) {
            try (InputStream in = Files.newInputStream(manifestFile)) {
                String version = new Manifest(in).getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
                if (version != null) {
                    return version;
                }
            }
        }
        Path maven = folder.resolve(MAVEN);
        if (!Files.isDirectory(maven)) {
            return null;
        }
        try (Stream<Path> files = Files.walk(maven, MAX_DEPTH)) {
            Path pom = files.filter(p -> p.getFileName().toString().equals(POM_PROPERTIES))
                    .min(Comparator.naturalOrder())
                    .orElse(null);
            if (pom == null) {
                return null;
            }
            try (InputStream in = Files.newInputStream(pom)) {
                return pomVersion(in);
            }
        }
    }

    private static String pomVersion(InputStream in) throws IOException {
        Properties properties = new Properties();
        properties.load(in);
        return properties.getProperty("version");
    }
}
