package dev.proxykit.runtime;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.proxykit.netty.ProxyEngine;
import dev.proxykit.netty.Transport;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.plugin.PluginRegistry;

/**
 * Wires the host: the settings, the plugin registry, the assembled routes, the transport chosen once, and the
 * engine built from them. Plugins never see Guice; they are built by the registry before the injector exists.
 */
final class ProxyModule extends AbstractModule {

    private final ProxySettings settings;
    private final PluginRegistry registry;
    private final RouteAssembler.Assembly assembly;

    ProxyModule(ProxySettings settings, PluginRegistry registry, RouteAssembler.Assembly assembly) {
        this.settings = settings;
        this.registry = registry;
        this.assembly = assembly;
    }

    @Override
    protected void configure() {
        bind(ProxySettings.class).toInstance(settings);
        bind(PluginRegistry.class).toInstance(registry);
        bind(RouteAssembler.Assembly.class).toInstance(assembly);
    }

    @Provides
    @Singleton
    Transport transport(ProxySettings s) {
        return Transport.choose(s.transport());
    }

    @Provides
    @Singleton
    ProxyEngine engine(ProxySettings s, Transport transport, RouteAssembler.Assembly a) {
        return new ProxyEngine(s, transport, a.routes(), a.defaultClassifier(), a.defaultAccessLogger());
    }
}
