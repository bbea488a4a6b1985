package io.litestream4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The module exports the library's API, the backend contract and the loggers every module's
 * classes hold (backend modules use them too), nothing else, and that API does not hand out a
 * type a user of the module could not name.
 */
class ModuleApiTest {
    private static final Set<String> EXPORTED = Set.of("io.litestream4j", "io.litestream4j.core.replica", "io.litestream4j.core.log");

    @Test
    void onlyTheApiAndTheBackendContractAreExported() {
        Module core = Replicator.class.getModule();
        assertThat(core.isNamed()).as("the tests run inside the module").isTrue();
        ModuleDescriptor d = core.getDescriptor();
        assertThat(d.name()).isEqualTo("io.litestream4j.core");
        assertThat(d.exports()).allMatch(e -> !e.isQualified());
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).containsExactlyInAnyOrderElementsOf(EXPORTED);
        assertThat(d.packages()).contains("io.litestream4j.core", "io.litestream4j.core.restore", "io.litestream4j.core.compaction");
        assertThat(Replicator.class.getModule().getLayer().findModule("io.litestream4j.ltx")).isPresent();
    }

    @Test
    void theExportedApiNamesOnlyExportedTypes() throws Exception {
        Set<String> leaks = new TreeSet<>();
        for (Class<?> c : exportedPublicClasses()) {
            List<Type> used = new ArrayList<>();
            for (Method m : c.getMethods()) {
                if (m.getDeclaringClass() != c || m.isSynthetic()) {
                    continue;
                }
                used.add(m.getGenericReturnType());
                used.addAll(List.of(m.getGenericParameterTypes()));
                for (Type t : used) {
                    for (Class<?> named : mentioned(t)) {
                        if (!visible(named)) {
                            leaks.add(c.getName() + "." + m.getName() + " uses " + named.getName());
                        }
                    }
                }
                used.clear();
            }
            for (var ctor : c.getConstructors()) {
                for (Class<?> p : ctor.getParameterTypes()) {
                    if (!visible(p)) {
                        leaks.add(c.getName() + "(constructor) uses " + p.getName());
                    }
                }
            }
            if (c.getSuperclass() != null && !visible(c.getSuperclass())) {
                leaks.add(c.getName() + " extends " + c.getSuperclass().getName());
            }
            for (Class<?> i : c.getInterfaces()) {
                if (!visible(i)) {
                    leaks.add(c.getName() + " implements " + i.getName());
                }
            }
        }
        assertThat(leaks).as("public API naming a type of an unexported package").isEmpty();
    }

    private static List<Class<?>> mentioned(Type t) {
        List<Class<?>> out = new ArrayList<>();
        if (t instanceof Class<?> c) {
            out.add(c.isArray() ? c.componentType() : c);
        } else if (t instanceof ParameterizedType p) {
            out.addAll(mentioned(p.getRawType()));
            for (Type a : p.getActualTypeArguments()) {
                out.addAll(mentioned(a));
            }
        }
        return out;
    }

    private static boolean visible(Class<?> c) {
        if (c.isPrimitive()) {
            return true;
        }
        Module m = c.getModule();
        if (m != Replicator.class.getModule()) {
            return true; // the JDK, ltx (exported whole), sqlite-jdbc
        }
        return EXPORTED.contains(c.getPackageName()) && Modifier.isPublic(c.getModifiers());
    }

    private static List<Class<?>> exportedPublicClasses() throws Exception {
        List<Class<?>> out = new ArrayList<>();
        Module core = Replicator.class.getModule();
        for (String pkg : EXPORTED) {
            try (var s = java.nio.file.Files.list(java.nio.file.Path.of(Replicator.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .resolve(pkg.replace('.', '/')))) {
                for (var f : s.filter(p -> p.toString().endsWith(".class")).toList()) {
                    String name = pkg + "." + f.getFileName().toString().replace(".class", "");
                    Class<?> c = Class.forName(name, false, Replicator.class.getClassLoader());
                    if (Modifier.isPublic(c.getModifiers()) && c.getModule() == core && !c.isSynthetic() && !c.isAnonymousClass()
                            && (c.getEnclosingClass() == null || Modifier.isPublic(c.getEnclosingClass().getModifiers()))) {
                        out.add(c);
                    }
                }
            }
        }
        assertThat(out).as("public classes found in the exported packages").hasSizeGreaterThan(10);
        return out;
    }
}
