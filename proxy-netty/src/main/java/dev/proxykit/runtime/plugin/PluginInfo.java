package dev.proxykit.runtime.plugin;

/**
 * One discovered plugin factory, as {@code --list-plugins} shows it.
 *
 * @param name        the name configuration uses
 * @param kind        director, selector, error classifier or access logger
 * @param version     from the JAR's manifest ({@code Implementation-Version}) or Maven metadata, or {@code "unknown"}
 * @param source      where it came from: the plugin folder or JAR, or {@code "class path"}
 * @param description the factory's one-line description
 */
public record PluginInfo(String name, PluginKind kind, String version, String source, String description) {
}
