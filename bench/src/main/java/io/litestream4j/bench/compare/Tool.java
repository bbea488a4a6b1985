package io.litestream4j.bench.compare;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One replicator under test, as a user runs it: the command that replicates a database to a file
 * replica, the command that restores from that replica, and the environment they run in.
 *
 * @param name         how the tables and the JSON name it
 * @param executable   the program ({@code bin/litestream} or Litestream's binary)
 * @param extraFlags   flags put after {@code replicate} (empty for the defaults)
 * @param environment  variables added to the process's environment
 */
record Tool(String name, Path executable, List<String> extraFlags, Map<String, String> environment) {

    static Tool ours(Path projectRoot) {
        return new Tool("litestream4j", projectRoot.resolve("bin/litestream"), List.of(), Map.of());
    }

    /**
     * Ours tuned for speed rather than footprint: the JVM's default collector and a heap that
     * does not have to grow under load.
     */
    static Tool oursFast(Path projectRoot) {
        return new Tool("litestream4j-fast", projectRoot.resolve("bin/litestream"), List.of(),
                Map.of("LITESTREAM_JAVA_OPTS", "-XX:+UseParallelGC -Xms256m -Xmx1g"));
    }

    static Tool litestream(Path binary) {
        return new Tool("litestream-0.3.13", binary, List.of(), Map.of());
    }

    List<String> replicate(Path db, Path replica) {
        List<String> command = new ArrayList<>(List.of(executable.toString(), "replicate"));
        command.addAll(extraFlags);
        command.add(db.toString());
        command.add(replica.toUri().toString());
        return command;
    }

    List<String> restore(Path replica, Path output) {
        return List.of(executable.toString(), "restore", "-o", output.toString(), replica.toUri().toString());
    }

    ProcessBuilder process(List<String> command, Path log) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(environment);
        return pb;
    }
}
