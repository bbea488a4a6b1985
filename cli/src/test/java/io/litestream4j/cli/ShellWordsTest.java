package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ShellWordsTest {
    @Test
    void splitsLikeAShell() {
        assertThat(ShellWords.split("myapp --port 8080")).containsExactly("myapp", "--port", "8080");
        assertThat(ShellWords.split("  sh   -c 'echo \"hi there\"; exit 3' ")).containsExactly("sh", "-c", "echo \"hi there\"; exit 3");
        assertThat(ShellWords.split("printf \"a \\\"b\\\" \\\\ $HOME\"")).containsExactly("printf", "a \"b\" \\ $HOME");
        assertThat(ShellWords.split("a\\ b c''d \"\"")).containsExactly("a b", "cd", "");
    }

    @Test
    void unclosedQuotesAndEmptyCommandsAreErrors() {
        assertThatThrownBy(() -> ShellWords.split("sh -c 'exit 3")).hasMessageContaining("the ' at position 7 is never closed");
        assertThatThrownBy(() -> ShellWords.split("echo \"hi")).hasMessageContaining("the \" at position 6 is never closed");
        assertThatThrownBy(() -> ShellWords.split("   ")).hasMessageContaining("the command is empty");
    }
}
