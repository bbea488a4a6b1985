package io.litestream4j.cli.config;

import io.litestream4j.core.GoDuration;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * One mapping of a YAML config file, read key by key. It remembers which keys were asked for and
 * which were read, so that what is left can be reported as unknown, listing the keys the section
 * knows: the keys its reader asked for, so that list cannot drift from the code. Every error
 * names the file, the line and the key.
 */
final class YamlSection {
    private final String file;
    private final String path;
    private final Node node;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> read = new LinkedHashSet<>();
    private final Set<String> asked = new TreeSet<>();

    private YamlSection(String file, String path, MappingNode node) {
        this.file = file;
        this.path = path;
        this.node = node;
        for (NodeTuple t : node.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode key)) {
                throw new ConfigException(at(t.getKeyNode()) + "keys must be plain words");
            }
            if (entries.put(key.getValue(), t) != null) {
                throw new ConfigException(at(key) + "\"" + qualified(key.getValue()) + "\" is set twice");
            }
        }
    }

    /** Parses a whole file; an empty file is an empty mapping. */
    static YamlSection parse(String file, String text) {
        Node root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new ConfigException("config %s line %d: not valid YAML: %s".formatted(file, line, e.getProblem()));
        } catch (RuntimeException e) {
            throw new ConfigException("config %s: not valid YAML: %s".formatted(file, e.getMessage()));
        }
        if (root == null) {
            return new YamlSection(file, "", new MappingNode(org.yaml.snakeyaml.nodes.Tag.MAP, List.of(), org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK));
        }
        if (!(root instanceof MappingNode m)) {
            throw new ConfigException("config %s line %d: want a mapping of keys (dbs:, levels:, ...) at the top".formatted(file, line(root)));
        }
        return new YamlSection(file, "", m);
    }

    String file() {
        return file;
    }

    /** Where this section is, for messages: {@code dbs[0].replica}, or empty at the top. */
    String path() {
        return path;
    }

    /** "config FILE line N: " for the section itself. */
    String here() {
        return at(node);
    }

    boolean has(String key) {
        asked.add(key);
        return entries.containsKey(key);
    }

    Set<String> keys() {
        return entries.keySet();
    }

    /** "config FILE line N: " for a key of this section. */
    String at(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? here() : at(t.getKeyNode());
    }

    /** The fully qualified name of a key, for messages: {@code dbs[0].replica.url}. */
    String qualified(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /**
     * A single value, or a list of single values joined with commas: for backend keys Litestream
     * takes as lists (NATS {@code root-cas}), which the backend splits again.
     */
    Optional<String> stringOrList(String key) {
        asked.add(key);
        NodeTuple t = entries.get(key);
        if (t != null && t.getValueNode() instanceof SequenceNode seq && seq.getValue().stream().allMatch(ScalarNode.class::isInstance)) {
            read.add(key);
            return Optional.of(String.join(",", seq.getValue().stream().map(n -> ((ScalarNode) n).getValue()).toList()));
        }
        return string(key);
    }

    Optional<String> string(String key) {
        asked.add(key);
        NodeTuple t = entries.get(key);
        if (t == null) {
            return Optional.empty();
        }
        read.add(key);
        if (!(t.getValueNode() instanceof ScalarNode s)) {
            throw new ConfigException(at(key) + "\"%s\": want a single value, not a list or a mapping".formatted(qualified(key)));
        }
        return Optional.of(s.getValue());
    }

    Optional<Duration> duration(String key) {
        return string(key).map(v -> {
            Duration d = GoDuration.parse(v);
            if (d == null || d.isNegative()) {
                throw invalid(key, v, "a duration such as 1s, 500ms, 5m or 1h30m");
            }
            return d;
        });
    }

    Optional<Integer> integer(String key) {
        return string(key).map(v -> {
            try {
                return Integer.parseInt(v.strip());
            } catch (NumberFormatException e) {
                throw invalid(key, v, "a whole number");
            }
        });
    }

    /** A whole number of bytes, at least 0. */
    Optional<Long> bytes(String key) {
        return string(key).map(v -> {
            try {
                long n = Long.parseLong(v.strip());
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw invalid(key, v, "a whole number of bytes, 0 or more");
        });
    }

    Optional<Boolean> bool(String key) {
        return string(key).map(v -> switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(key, v, "true or false");
        });
    }

    Optional<YamlSection> section(String key) {
        asked.add(key);
        NodeTuple t = entries.get(key);
        if (t == null) {
            return Optional.empty();
        }
        read.add(key);
        if (t.getValueNode() instanceof ScalarNode s && s.getValue().isEmpty()) {
            return Optional.empty(); // "key:" with nothing after it
        }
        if (!(t.getValueNode() instanceof MappingNode m)) {
            throw new ConfigException(at(key) + "\"%s\": want a mapping of keys".formatted(qualified(key)));
        }
        return Optional.of(new YamlSection(file, qualified(key), m));
    }

    /** A list of mappings ({@code dbs:}, {@code levels:}, {@code replicas:}); empty if absent. */
    List<YamlSection> sections(String key) {
        asked.add(key);
        NodeTuple t = entries.get(key);
        if (t == null) {
            return List.of();
        }
        read.add(key);
        if (t.getValueNode() instanceof ScalarNode s && s.getValue().isEmpty()) {
            return List.of();
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            throw new ConfigException(at(key) + "\"%s\": want a list (lines starting with \"- \")".formatted(qualified(key)));
        }
        List<YamlSection> out = new ArrayList<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            Node item = seq.getValue().get(i);
            if (!(item instanceof MappingNode m)) {
                throw new ConfigException(at(item) + "\"%s[%d]\": want a mapping of keys".formatted(qualified(key), i));
            }
            out.add(new YamlSection(file, qualified(key) + "[" + i + "]", m));
        }
        return out;
    }

    ConfigException invalid(String key, String value, String expected) {
        return new ConfigException(at(key) + "\"%s\": invalid value \"%s\": want %s".formatted(qualified(key), value, expected));
    }

    /** An error about a key that was read but cannot be honoured. */
    ConfigException unsupported(String key, String why) {
        return new ConfigException(at(key) + "\"%s\": %s".formatted(qualified(key), why));
    }

    /**
     * Reports what was not read: a key of {@code legacy} (Litestream 0.3's) is a warning saying
     * it is ignored; anything else is an error listing the keys this section knows. Call it after
     * every key the section may hold was asked for.
     */
    void finish(Map<String, String> legacy, List<String> warnings) {
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            String key = e.getKey();
            if (read.contains(key)) {
                continue;
            }
            if (legacy.containsKey(key)) {
                warnings.add(at(key) + "\"%s\" is a Litestream 0.3 setting and is ignored: %s".formatted(qualified(key), legacy.get(key)));
                continue;
            }
            throw new ConfigException(at(key) + "unknown key \"%s\"%s (known here: %s)".formatted(qualified(key),
                    path.isEmpty() ? "" : " in " + path, String.join(", ", asked)));
        }
    }

    private String at(Node n) {
        return "config %s line %d: ".formatted(file, line(n));
    }

    private static int line(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }
}
