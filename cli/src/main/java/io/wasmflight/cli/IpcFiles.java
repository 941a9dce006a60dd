package io.wasmflight.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;

/** Arrow IPC files (arrow-vector): the file format is recognized by its magic, else a stream. */
final class IpcFiles {
  private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  private IpcFiles() {}

  static BatchSource source(Path file, BufferAllocator allocator) throws IOException {
    byte[] head = new byte[MAGIC.length];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    ArrowReader reader =
        n == MAGIC.length && Arrays.equals(head, MAGIC)
            ? new ArrowFileReader(FileChannel.open(file, StandardOpenOption.READ), allocator)
            : new ArrowStreamReader(
                new BufferedInputStream(Files.newInputStream(file), 1 << 16), allocator);
    return new Source(reader);
  }

  static BatchSink sink(Path file, VectorSchemaRoot root, DictionaryProvider dictionaries)
      throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    ArrowWriter writer =
        name.endsWith(".arrows") || name.endsWith(".ipc")
            ? new ArrowStreamWriter(root, dictionaries, Channels.newOutputStream(channel))
            : new ArrowFileWriter(root, dictionaries, channel);
    writer.start();
    return new BatchSink() {
      @Override
      public void write() throws IOException {
        writer.writeBatch();
      }

      @Override
      public void close() throws IOException {
        try {
          writer.end();
        } finally {
          writer.close();
        }
      }
    };
  }

  private static final class Source implements BatchSource {
    private final ArrowReader reader;

    Source(ArrowReader reader) {
      this.reader = reader;
    }

    @Override
    public VectorSchemaRoot root() {
      try {
        return reader.getVectorSchemaRoot();
      } catch (IOException e) {
        throw new CliException(ExitCode.BAD_INPUT, "not an Arrow IPC file: " + e.getMessage(), e);
      }
    }

    @Override
    public DictionaryProvider dictionaries() {
      return reader;
    }

    @Override
    public boolean next() throws IOException {
      return reader.loadNextBatch();
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }
}
