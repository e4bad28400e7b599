package dev.proxykit.testing;

import com.typesafe.config.Config;
import dev.proxykit.api.DirectorFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Builds a real plugin JAR at test time: compiles Java sources with the system compiler against proxy-api,
 * typesafe-config and slf4j (the host's copies, found through their classes' code sources), and packs the classes
 * with {@code META-INF/services} files and other resources. Shared with proxy-dist (through the test-jar), whose
 * integration tests drop such JARs into an unpacked distribution. Not thread-safe; one builder per JAR.
 */
public final class TestJar {

    private final Path workDir;
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, byte[]> resources = new LinkedHashMap<>();
    private final Map<String, List<String>> services = new LinkedHashMap<>();
    private final List<Path> classPath = new ArrayList<>();
    private final Manifest manifest = new Manifest();

    /** @param workDir a scratch folder (a {@code @TempDir}) for sources and classes */
    public TestJar(Path workDir) {
        this.workDir = workDir;
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    }

    /** Adds a class to compile. */
    public TestJar source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** Lists {@code className} in {@code META-INF/services/<factoryType>}. */
    public TestJar service(Class<?> factoryType, String className) {
        services.computeIfAbsent(factoryType.getName(), k -> new ArrayList<>()).add(className);
        return this;
    }

    /** Adds a resource, such as {@code reference.conf}. */
    public TestJar resource(String path, String text) {
        resources.put(path, text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Sets the manifest's {@code Implementation-Version}. */
    public TestJar version(String version) {
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        return this;
    }

    /** Adds a JAR to compile against (not packed), such as a library the plugin bundles in its folder. */
    public TestJar compileAgainst(Path jar) {
        classPath.add(jar);
        return this;
    }

    /** Packs a copy of the class file of {@code type}, as the host has it: a plugin that bundles it. */
    public TestJar bundleHostClass(Class<?> type) {
        String path = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("no class file for " + type.getName());
            }
            resources.put(path, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Compiles the sources and writes the JAR to {@code jar} (its folder is created). */
    public Path write(Path jar) throws IOException {
        Path build = Files.createTempDirectory(workDir, "build");
        Path classes = Files.createDirectories(build.resolve("classes"));
        if (!sources.isEmpty()) {
            compile(build, classes);
        }
        Files.createDirectories(jar.toAbsolutePath().getParent());
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest)) {
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path classFile : files.filter(Files::isRegularFile).sorted().toList()) {
                    put(out, classes.relativize(classFile).toString().replace('\\', '/'), Files.readAllBytes(classFile));
                }
            }
            for (Map.Entry<String, List<String>> service : services.entrySet()) {
                put(out, "META-INF/services/" + service.getKey(),
                        (String.join("\n", service.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            for (Map.Entry<String, byte[]> resource : resources.entrySet()) {
                put(out, resource.getKey(), resource.getValue());
            }
        }
        return jar;
    }

    private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }

    private void compile(Path build, Path classes) throws IOException {
        Path sourceDir = Files.createDirectories(build.resolve("src"));
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = sourceDir.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            files.add(file);
        }
        List<Path> path = new ArrayList<>(List.of(location(DirectorFactory.class), location(Config.class),
                location(org.slf4j.Logger.class)));
        path.addAll(classPath);
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        try (StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--release", "17", "-d", classes.toString(), "-classpath",
                    String.join(java.io.File.pathSeparator, path.stream().map(Path::toString).toList()));
            boolean ok = compiler.getTask(errors, fileManager, null, options, null,
                    fileManager.getJavaFileObjectsFromPaths(files)).call();
            if (!ok) {
                throw new IllegalStateException("test plugin does not compile:\n" + errors);
            }
        }
    }

    /** The JAR or class folder holding {@code type}. */
    public static Path location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
