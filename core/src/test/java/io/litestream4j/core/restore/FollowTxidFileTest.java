package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FollowTxidFileTest {
    @TempDir
    Path dir;

    @Test
    void writesLitestreamsFormatBesideTheDatabaseAndReadsItBack() throws Exception {
        Path db = dir.resolve("app.db");
        FollowTxidFile.write(db, 0x2aL);
        assertThat(FollowTxidFile.of(db)).isEqualTo(dir.resolve("app.db-txid"));
        assertThat(Files.readString(dir.resolve("app.db-txid"))).isEqualTo("000000000000002a\n");
        assertThat(FollowTxidFile.read(db)).hasValue(0x2aL);
        FollowTxidFile.write(db, 0xffffffffffffff00L);
        assertThat(FollowTxidFile.read(db)).hasValue(0xffffffffffffff00L);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactly("app.db-txid");
        }
    }

    @Test
    void aMissingFileIsNoTxid() throws Exception {
        assertThat(FollowTxidFile.read(dir.resolve("app.db"))).isEmpty();
    }

    @Test
    void aMalformedFileIsAnErrorNamingItAndWhatToDo() throws Exception {
        Path db = dir.resolve("app.db");
        Files.writeString(dir.resolve("app.db-txid"), "12x\n");
        assertThatThrownBy(() -> FollowTxidFile.read(db)).isInstanceOf(IOException.class)
                .hasMessageContaining(dir.resolve("app.db-txid").toString()).hasMessageContaining("\"12x\"")
                .hasMessageContaining("16 hex digits").hasMessageContaining("to restore again");
        Files.writeString(dir.resolve("app.db-txid"), "0000000000000000\n");
        assertThatThrownBy(() -> FollowTxidFile.read(db)).isInstanceOf(IOException.class).hasMessageContaining("not a state");
    }
}
