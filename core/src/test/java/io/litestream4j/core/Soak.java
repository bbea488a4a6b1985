package io.litestream4j.core;

/**
 * Long tests run a short form by default (CI) and their full form with {@code -Dsoak=true}
 * ({@code ./mvnw verify -Psoak} sets it), which may take hours.
 */
public final class Soak {
    private Soak() {}

    public static boolean enabled() {
        return Boolean.getBoolean("soak");
    }

    /** {@code ci} normally, {@code soak} in the soak profile. */
    public static int pick(int ci, int soak) {
        return enabled() ? soak : ci;
    }
}
