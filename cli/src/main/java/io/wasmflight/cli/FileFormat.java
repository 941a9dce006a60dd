package io.wasmflight.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/** The file formats {@code call} reads and writes, chosen by {@code --format} or the extension. */
enum FileFormat {
  /** Arrow IPC: the file format (.arrow, .feather) or the stream format (.arrows, .ipc). */
  IPC,
  /** CSV with a header row (Apache Commons CSV); column types inferred from the first rows. */
  CSV,
  /** Parquet (Apache Parquet's Java reader and writer, Hadoop-free file API). */
  PARQUET;

  /** The format a file name's extension names; a usage error for an unknown extension. */
  static FileFormat of(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".arrow")
        || name.endsWith(".feather")
        || name.endsWith(".arrows")
        || name.endsWith(".ipc")) {
      return IPC;
    }
    if (name.endsWith(".csv")) {
      return CSV;
    }
    if (name.endsWith(".parquet") || name.endsWith(".pq")) {
      return PARQUET;
    }
    throw new CliException(
        ExitCode.USAGE,
        "cannot tell the format of "
            + file
            + " from its extension (.arrow .feather .arrows .ipc .csv .parquet); use --format");
  }

  static FileFormat parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, "--format takes ipc, csv or parquet, got " + s);
    }
  }

  BatchSource open(Path file, BufferAllocator allocator, int batchRows) throws IOException {
    return open(file, allocator, batchRows, java.util.Map.of());
  }

  /** {@code csvTypes}: column types for CSV input by name (--schema), the others inferred. */
  BatchSource open(
      Path file,
      BufferAllocator allocator,
      int batchRows,
      java.util.Map<String, org.apache.arrow.vector.types.pojo.ArrowType> csvTypes)
      throws IOException {
    return switch (this) {
      case IPC -> IpcFiles.source(file, allocator);
      case CSV -> new CsvSource(file, allocator, batchRows, csvTypes);
      case PARQUET -> new ParquetSource(file, allocator, batchRows);
    };
  }

  BatchSink create(Path file, VectorSchemaRoot root, DictionaryProvider dictionaries)
      throws IOException {
    return switch (this) {
      case IPC -> IpcFiles.sink(file, root, dictionaries);
      case CSV -> new CsvSink(file, root);
      case PARQUET -> new ParquetSink(file, root);
    };
  }
}
