package dev.proxykit.api;

/**
 * Builds {@link ErrorClassifier}s. Listed in {@code META-INF/services/dev.proxykit.api.ErrorClassifierFactory} and
 * chosen by {@code error-classifier = NAME} globally or per route.
 */
public interface ErrorClassifierFactory extends PluginFactory {

    /**
     * Builds a classifier from its configuration block. Called at start-up or reload, never on an event loop: may
     * block, must validate.
     *
     * @return a thread-safe classifier, never {@code null}
     */
    ErrorClassifier create(PluginContext context);
}
