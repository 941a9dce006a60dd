package io.wasmflight.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * A Parquet file read column by column with Apache Parquet's reader ({@code ParquetFileReader} on a
 * {@code LocalInputFile}: no Hadoop file system). Flat schemas of int32, int64, float, double,
 * boolean, string and binary columns, required or optional; anything else is refused by name.
 */
final class ParquetSource implements BatchSource {
  private final ParquetFileReader reader;
  private final MessageType schema;
  private final String createdBy;
  private final VectorSchemaRoot root;
  private final int batchRows;
  private final List<ColumnDescriptor> columns;
  private List<ColumnReader> readers = List.of();
  private long rowsLeftInGroup;

  ParquetSource(Path file, BufferAllocator allocator, int batchRows) throws IOException {
    this.batchRows = batchRows;
    try {
      reader =
          ParquetFileReader.open(
              new LocalInputFile(file),
              ParquetReadOptions.builder(new PlainParquetConfiguration()).build());
    } catch (RuntimeException | IOException e) {
      throw new CliException(
          ExitCode.BAD_INPUT, file + " is not a readable Parquet file: " + e.getMessage(), e);
    }
    schema = reader.getFooter().getFileMetaData().getSchema();
    createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
    columns = schema.getColumns();
    List<Field> fields = new ArrayList<>();
    for (Type t : schema.getFields()) {
      fields.add(field(file, t));
    }
    root = VectorSchemaRoot.create(new Schema(fields), allocator);
  }

  private Field field(Path file, Type t) {
    if (!t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) {
      closeQuietly();
      throw new CliException(
          ExitCode.BAD_INPUT,
          file
              + ": column '"
              + t.getName()
              + "' is nested or repeated; this CLI reads flat Parquet columns only (use an Arrow"
              + " IPC file for nested types)");
    }
    PrimitiveType p = t.asPrimitiveType();
    LogicalTypeAnnotation logical = p.getLogicalTypeAnnotation();
    ArrowType type =
        switch (p.getPrimitiveTypeName()) {
          case INT64 -> logical == null ? Columns.INT64 : null;
          case INT32 -> logical == null ? Columns.INT32 : null;
          case DOUBLE -> Columns.FLOAT64;
          case FLOAT -> Columns.FLOAT32;
          case BOOLEAN -> Columns.BOOL;
          case BINARY ->
              logical == null
                  ? Columns.BINARY
                  : logical.equals(LogicalTypeAnnotation.stringType()) ? Columns.UTF8 : null;
          default -> null;
        };
    if (type == null) {
      closeQuietly();
      throw new CliException(
          ExitCode.BAD_INPUT,
          file
              + ": column '"
              + t.getName()
              + "' is "
              + p
              + ", which this CLI does not convert (int32, int64, float, double, boolean, string,"
              + " binary); use an Arrow IPC file for other types");
    }
    boolean nullable = !t.isRepetition(Type.Repetition.REQUIRED);
    return new Field(t.getName(), new FieldType(nullable, type, null), null);
  }

  private void closeQuietly() {
    try {
      reader.close();
    } catch (IOException e) {
      // already failing with a better message
    }
  }

  @Override
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public DictionaryProvider dictionaries() {
    return new DictionaryProvider.MapDictionaryProvider();
  }

  @Override
  public boolean next() throws IOException {
    while (rowsLeftInGroup == 0) {
      PageReadStore pages = reader.readNextRowGroup();
      if (pages == null) {
        return false;
      }
      rowsLeftInGroup = pages.getRowCount();
      ColumnReadStoreImpl store =
          new ColumnReadStoreImpl(
              pages, new GroupRecordConverter(schema).getRootConverter(), schema, createdBy);
      List<ColumnReader> rs = new ArrayList<>();
      for (ColumnDescriptor c : columns) {
        rs.add(store.getColumnReader(c));
      }
      readers = rs;
    }
    int rows = (int) Math.min(batchRows, rowsLeftInGroup);
    root.clear();
    for (int c = 0; c < columns.size(); c++) {
      FieldVector v = root.getVector(c);
      v.setInitialCapacity(rows);
      v.allocateNew();
      read(readers.get(c), columns.get(c).getMaxDefinitionLevel(), v, rows);
      v.setValueCount(rows);
    }
    root.setRowCount(rows);
    rowsLeftInGroup -= rows;
    return true;
  }

  private static void read(ColumnReader r, int maxDefinition, FieldVector v, int rows) {
    for (int i = 0; i < rows; i++) {
      if (r.getCurrentDefinitionLevel() < maxDefinition) {
        v.setNull(i);
      } else {
        switch (v) {
          case BigIntVector l -> l.set(i, r.getLong());
          case IntVector n -> n.set(i, r.getInteger());
          case Float8Vector d -> d.set(i, r.getDouble());
          case Float4Vector f -> f.set(i, r.getFloat());
          case BitVector b -> b.set(i, r.getBoolean() ? 1 : 0);
          case VarCharVector s -> s.setSafe(i, r.getBinary().getBytesUnsafe());
          case VarBinaryVector b -> b.setSafe(i, r.getBinary().getBytesUnsafe());
          default -> throw new IllegalStateException("unexpected vector " + v);
        }
      }
      r.consume();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      reader.close();
    } finally {
      root.close();
    }
  }
}
