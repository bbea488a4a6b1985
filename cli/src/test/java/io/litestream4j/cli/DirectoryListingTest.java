package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.cli.config.DirectoryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A watched directory is listed again only when one of its directories may have changed ({@link DirectoryListing}). */
class DirectoryListingTest {
    @TempDir
    Path dir;

    /** A clock the test moves; it starts at the real time, since directory times are real. */
    private static final class MovableClock extends Clock {
        Instant now = Instant.now();

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final MovableClock clock = new MovableClock();

    private DirectoryConfig config(Path root, boolean recursive) {
        return new DirectoryConfig(root, "*.db", recursive, true, new DatabaseConfig(root, DatabaseOptions.defaults(), false, List.of(), "test: "));
    }

    /** Dates a directory back, as if its last change were long ago. */
    private static void age(Path d) throws Exception {
        Files.setLastModifiedTime(d, FileTime.from(Instant.now().minusSeconds(60)));
    }

    @Test
    void anUnchangedDirectoryIsNotListedAgainAndAChangedOneIs() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("a.db"), "");
        age(data);
        DirectoryListing listing = new DirectoryListing(config(data, false), clock);
        assertThat(listing.refresh()).as("first look").isTrue();
        assertThat(listing.candidates()).containsExactly(data.resolve("a.db"));
        assertThat(listing.refresh()).as("nothing changed").isFalse();

        Files.writeString(data.resolve("b.db"), ""); // the directory's time becomes now
        assertThat(listing.refresh()).as("a file was created").isTrue();
        assertThat(listing.candidates()).containsExactly(data.resolve("a.db"), data.resolve("b.db"));

        Files.delete(data.resolve("a.db"));
        age(data);
        assertThat(listing.refresh()).as("a file was removed (the directory's time changed)").isTrue();
        assertThat(listing.candidates()).containsExactly(data.resolve("b.db"));
        assertThat(listing.refresh()).isFalse();
    }

    @Test
    void aDirectoryChangedWithinTheSettlingTimeIsListedAtEveryLook() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("a.db"), "");
        DirectoryListing listing = new DirectoryListing(config(data, false), clock);
        assertThat(listing.refresh()).isTrue();
        FileTime seen = Files.getLastModifiedTime(data);
        // A file created in the same clock tick as the listing leaves the directory's time as it was.
        Files.writeString(data.resolve("b.db"), "");
        Files.setLastModifiedTime(data, seen);
        assertThat(listing.refresh()).as("the time is recent: the listing is not trusted yet").isTrue();
        assertThat(listing.candidates()).contains(data.resolve("b.db"));

        clock.now = clock.now.plus(DirectoryListing.SETTLED).plusSeconds(1);
        assertThat(listing.refresh()).as("listed once more: the time it read was still recent").isTrue();
        assertThat(listing.refresh()).as("settled now").isFalse();
    }

    @Test
    void aListingIsMadeAnywayAfterAMinute() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        age(data);
        DirectoryListing listing = new DirectoryListing(config(data, false), clock);
        assertThat(listing.refresh()).isTrue();
        assertThat(listing.refresh()).isFalse();
        clock.now = clock.now.plus(DirectoryListing.RELIST_EVERY);
        assertThat(listing.refresh()).as("for file systems that keep no directory times").isTrue();
    }

    @Test
    void recursiveListingsWatchEverySubdirectoryButHiddenOnes() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path tenant = Files.createDirectories(data.resolve("tenant1"));
        Path hidden = Files.createDirectories(data.resolve(".app.db-litestream"));
        Files.writeString(tenant.resolve("a.db"), "");
        Files.writeString(hidden.resolve("x.db"), "");
        for (Path d : new Path[] {data, tenant, hidden}) {
            age(d);
        }
        DirectoryListing listing = new DirectoryListing(config(data, true), clock);
        assertThat(listing.refresh()).isTrue();
        assertThat(listing.candidates()).containsExactly(tenant.resolve("a.db"));
        assertThat(listing.refresh()).isFalse();

        Files.writeString(hidden.resolve("y.db"), "");
        assertThat(listing.refresh()).as("a hidden folder's changes cannot add a candidate").isFalse();

        Files.writeString(tenant.resolve("b.db"), "");
        assertThat(listing.refresh()).as("a file created in a subdirectory").isTrue();
        assertThat(listing.candidates()).containsExactly(tenant.resolve("a.db"), tenant.resolve("b.db"));
    }

    @Test
    void aSubdirectoryThatIsGoneMeansAListing() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path tenant = Files.createDirectories(data.resolve("tenant1"));
        Files.writeString(tenant.resolve("a.db"), "");
        age(tenant);
        age(data);
        FileTime dataTime = Files.getLastModifiedTime(data);
        DirectoryListing listing = new DirectoryListing(config(data, true), clock);
        assertThat(listing.refresh()).isTrue();
        Files.delete(tenant.resolve("a.db"));
        Files.delete(tenant);
        Files.setLastModifiedTime(data, dataTime); // only the subdirectory's absence tells
        assertThat(listing.refresh()).isTrue();
        assertThat(listing.candidates()).isEmpty();
    }

    @Test
    void aFlatListingFindsWhatAWalkWould() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("b.db"), "");
        Files.writeString(data.resolve("a.db"), "");
        Files.writeString(data.resolve("a.db-wal"), "");
        Files.writeString(data.resolve(".hidden.db"), "");
        Files.createDirectories(data.resolve(".a.db-litestream"));
        Files.writeString(Files.createDirectories(data.resolve("tenant1")).resolve("c.db"), "");
        Path folderNamedLikeADatabase = Files.createDirectories(data.resolve("folder.db"));

        DirectoryConfig.Listing flat = config(data, false).listing();
        assertThat(flat.candidates()).as("sorted, matching names only, no hidden ones, nothing below the folder; a folder with a"
                + " matching name is a candidate as in a walk (isDatabase refuses it)").containsExactly(data.resolve("a.db"), data.resolve("b.db"),
                        folderNamedLikeADatabase);
        assertThat(flat.directories()).containsExactly(data);
        assertThat(DirectoryConfig.isDatabase(folderNamedLikeADatabase)).isFalse();
    }
}
