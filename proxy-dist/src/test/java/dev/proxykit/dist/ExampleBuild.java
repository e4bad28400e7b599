package dev.proxykit.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds a stand-alone plugin project (such as {@code examples/header-director}) the way its author would, with
 * {@code mvn package} in a separate process, against the {@code proxy-api} of the distribution under test.
 *
 * <p><b>How the project finds proxy-api.</b> During {@code mvn verify} of proxykit nothing is installed, so no local
 * repository holds the current {@code proxy-api}, and the shared {@code ~/.m2} must not receive SNAPSHOTs of ours
 * (other builds run at the same time). The sub-build therefore gets a local repository of its own
 * ({@code -Dmaven.repo.local}, in the test's temporary folder) into which this class lays out, as
 * {@code mvn install} would: the {@code proxy-api} JAR from the distribution's {@code lib/}, the POM packed inside
 * that JAR, and the parent POM from the source tree. Everything else (Maven's own plugins, JUnit, typesafe-config,
 * SLF4J) resolves as usual, from Maven Central, with one addition in a generated {@code settings.xml}: the local
 * repository of the build running this test is listed first as a read-only {@code file:} repository, for releases
 * only. Since proxykit's build has just used the same plugin and library versions, the sub-build copies them from
 * there in seconds instead of downloading them; anything missing still comes from Central. Nothing is written
 * outside the temporary folder.
 *
 * <p>The build runs with the Maven that runs this build ({@code maven.home}, passed by failsafe) or else
 * {@code mvn} on the {@code PATH}, with this JVM's Java; it is killed if it runs longer than {@link #TIMEOUT}.
 * No Maven is a test failure, never a skip. Stateless.
 */
final class ExampleBuild {

    /** Bound for the whole sub-build, downloads included on a cold machine. */
    static final Duration TIMEOUT = Duration.ofMinutes(5);

    private static final Pattern API_VERSION = Pattern.compile("<proxykit\\.version>([^<]+)</proxykit\\.version>");
    private static final String API_POM = "META-INF/maven/dev.proxykit/proxy-api/pom.xml";
    private static final int LOG_TAIL_LINES = 80;

    private ExampleBuild() {
    }

    /**
     * Copies {@code project} into {@code work}, builds it with {@code mvn package} against {@code apiJar}, and returns
     * the one JAR it produced. Fails the test, with the tail of Maven's output, when the build fails or times out.
     *
     * @param project   the project's folder (its {@code target/} is not copied)
     * @param apiJar    the {@code proxy-api} JAR to build against
     * @param parentPom the POM {@code proxy-api}'s POM names as its parent
     * @param version   the proxykit version, which the project's {@code proxykit.version} property must name
     * @param work      an empty scratch folder
     */
    static Path buildPlugin(Path project, Path apiJar, Path parentPom, String version, Path work)
            throws IOException, InterruptedException {
        String pom = Files.readString(project.resolve("pom.xml"));
        Matcher declared = API_VERSION.matcher(pom);
        assertTrue(declared.find(), project + "/pom.xml declares no <proxykit.version>");
        assertEquals(version, declared.group(1), project + "/pom.xml builds against proxykit " + declared.group(1)
                + ", but this is proxykit " + version + ": update its <proxykit.version>");

        Path copy = work.resolve("project");
        copyTree(project, copy);
        Path repository = Files.createDirectories(work.resolve("repository"));
        installApi(repository, apiJar, parentPom, version);
        Path settings = Files.writeString(work.resolve("settings.xml"), settings());
        Path log = work.resolve("maven.log");

        List<String> command = new ArrayList<>(List.of(mvn().toString(), "-B", "-ntp", "-s", settings.toString(),
                "-Dmaven.repo.local=" + repository, "-f", copy.resolve("pom.xml").toString(), "package"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(copy.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("MAVEN_ARGS"); // Maven 3.9+ would add these to our command line
        Process maven = builder.start();
        try {
            if (!maven.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                kill(maven);
                fail(String.join(" ", command) + " still running after " + TIMEOUT + ", killed; the end of its output:\n"
                        + tail(log));
            }
        } finally {
            if (maven.isAlive()) { // interrupted: leave nothing behind
                kill(maven);
            }
        }
        if (maven.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + maven.exitValue() + "; the end of its output:\n"
                    + tail(log));
        }
        List<Path> jars;
        try (Stream<Path> files = Files.list(copy.resolve("target"))) {
            jars = files.filter(p -> p.getFileName().toString().endsWith(".jar")).toList();
        }
        assertEquals(1, jars.size(), "one JAR in " + copy.resolve("target") + ": " + jars);
        return jars.get(0);
    }

    /** {@code bin/mvn} of the Maven running this build, else {@code mvn} on the {@code PATH}; fails when neither. */
    static Path mvn() {
        String home = System.getProperty("proxykit.maven.home", "");
        if (!home.isEmpty() && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
            return Path.of(home, "bin", "mvn");
        }
        for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!folder.isEmpty() && Files.isExecutable(Path.of(folder, "mvn"))) {
                return Path.of(folder, "mvn");
            }
        }
        return fail("cannot build the example plugin: no Maven found (expected: the system property"
                + " proxykit.maven.home, which the proxy-dist build sets, or mvn on the PATH; install Maven 3.8+)");
    }

    /** Lays out proxy-api, its POM and its parent POM as {@code mvn install} would, marked as installed locally. */
    private static void installApi(Path repository, Path apiJar, Path parentPom, String version) throws IOException {
        Path api = Files.createDirectories(repository.resolve("dev/proxykit/proxy-api").resolve(version));
        String base = "proxy-api-" + version;
        Files.copy(apiJar, api.resolve(base + ".jar"));
        try (JarFile jar = new JarFile(apiJar.toFile())) {
            JarEntry entry = jar.getJarEntry(API_POM);
            assertNotNull(entry, apiJar + " holds no " + API_POM + " (expected: the POM maven-jar-plugin packs)");
            try (InputStream pom = jar.getInputStream(entry)) {
                Files.copy(pom, api.resolve(base + ".pom"));
            }
        }
        Path parent = Files.createDirectories(repository.resolve("dev/proxykit/proxykit-parent").resolve(version));
        Files.copy(parentPom, parent.resolve("proxykit-parent-" + version + ".pom"));
        // what the resolver records for an artifact installed locally (no remote repository id)
        Files.writeString(api.resolve("_remote.repositories"), base + ".jar>=\n" + base + ".pom>=\n");
        Files.writeString(parent.resolve("_remote.repositories"), "proxykit-parent-" + version + ".pom>=\n");
    }

    /** Settings that put this build's local repository, read-only and releases only, before Maven Central. */
    private static String settings() {
        String cache = System.getProperty("proxykit.maven.repository", "");
        if (cache.isEmpty() || !Files.isDirectory(Path.of(cache))) {
            return "<settings/>\n";
        }
        String url = Path.of(cache).toUri().toString();
        String repository = "<id>proxykit-build-cache</id><url>" + url + "</url>"
                + "<releases><enabled>true</enabled><checksumPolicy>ignore</checksumPolicy></releases>"
                + "<snapshots><enabled>false</enabled></snapshots>";
        return "<settings>\n"
                + "  <profiles>\n"
                + "    <profile>\n"
                + "      <id>proxykit-build-cache</id>\n"
                + "      <repositories><repository>" + repository + "</repository></repositories>\n"
                + "      <pluginRepositories><pluginRepository>" + repository + "</pluginRepository></pluginRepositories>\n"
                + "    </profile>\n"
                + "  </profiles>\n"
                + "  <activeProfiles><activeProfile>proxykit-build-cache</activeProfile></activeProfiles>\n"
                + "</settings>\n";
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path relative = from.relativize(file);
                if (relative.startsWith("target")) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    /** Kills the process and whatever it started. */
    private static void kill(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }
}
