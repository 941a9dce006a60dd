package io.wasmflight.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Writes batches as a Parquet file with Apache Parquet's writer on a {@code LocalOutputFile}
 * (uncompressed; no Hadoop file system or configuration), a row at a time from the root's vectors.
 */
final class ParquetSink implements BatchSink {
  private final VectorSchemaRoot root;
  private final ParquetWriter<Integer> writer;

  ParquetSink(Path file, VectorSchemaRoot root) throws IOException {
    this.root = root;
    Types.MessageTypeBuilder message = Types.buildMessage();
    for (Field f : root.getSchema().getFields()) {
      Columns.requireSupported(f, "Parquet");
      message.addField(column(f));
    }
    MessageType schema = message.named("wasm_flight");
    writer =
        new Builder(new LocalOutputFile(file), new RowWriteSupport(schema, root))
            .withConf(new PlainParquetConfiguration())
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build();
  }

  private static Type column(Field f) {
    Type.Repetition repetition =
        f.isNullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
    ArrowType t = f.getType();
    if (t.equals(Columns.INT64)) {
      return Types.primitive(PrimitiveTypeName.INT64, repetition).named(f.getName());
    }
    if (t.equals(Columns.INT32)) {
      return Types.primitive(PrimitiveTypeName.INT32, repetition).named(f.getName());
    }
    if (t.equals(Columns.FLOAT64)) {
      return Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(f.getName());
    }
    if (t.equals(Columns.FLOAT32)) {
      return Types.primitive(PrimitiveTypeName.FLOAT, repetition).named(f.getName());
    }
    if (t.equals(Columns.BOOL)) {
      return Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(f.getName());
    }
    if (t.equals(Columns.UTF8)) {
      return Types.primitive(PrimitiveTypeName.BINARY, repetition)
          .as(LogicalTypeAnnotation.stringType())
          .named(f.getName());
    }
    return Types.primitive(PrimitiveTypeName.BINARY, repetition).named(f.getName());
  }

  @Override
  public void write() throws IOException {
    for (int row = 0; row < root.getRowCount(); row++) {
      writer.write(row);
    }
  }

  @Override
  public void close() throws IOException {
    writer.close();
  }

  /** A record is a row index into the root the sink was opened on. */
  private static final class RowWriteSupport extends WriteSupport<Integer> {
    private final MessageType schema;
    private final VectorSchemaRoot root;
    private RecordConsumer consumer;

    RowWriteSupport(MessageType schema, VectorSchemaRoot root) {
      this.schema = schema;
      this.root = root;
    }

    @Override
    @SuppressWarnings("deprecation") // abstract in WriteSupport; the Hadoop-free init is below
    public WriteContext init(Configuration configuration) {
      return new WriteContext(schema, new HashMap<>());
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(schema, new HashMap<>());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      consumer = recordConsumer;
    }

    @Override
    public void write(Integer row) {
      int r = row;
      List<FieldVector> vectors = root.getFieldVectors();
      consumer.startMessage();
      for (int c = 0; c < vectors.size(); c++) {
        FieldVector v = vectors.get(c);
        if (v.isNull(r)) {
          continue;
        }
        String name = v.getName();
        consumer.startField(name, c);
        switch (v) {
          case BigIntVector l -> consumer.addLong(l.get(r));
          case IntVector n -> consumer.addInteger(n.get(r));
          case Float8Vector d -> consumer.addDouble(d.get(r));
          case Float4Vector f -> consumer.addFloat(f.get(r));
          case BitVector b -> consumer.addBoolean(b.get(r) != 0);
          case VarCharVector s -> consumer.addBinary(Binary.fromConstantByteArray(s.get(r)));
          case VarBinaryVector b -> consumer.addBinary(Binary.fromConstantByteArray(b.get(r)));
          default -> throw new IllegalStateException("unexpected vector " + v);
        }
        consumer.endField(name, c);
      }
      consumer.endMessage();
    }
  }

  private static final class Builder extends ParquetWriter.Builder<Integer, Builder> {
    private final RowWriteSupport support;

    Builder(LocalOutputFile file, RowWriteSupport support) {
      super(file);
      this.support = support;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    @SuppressWarnings("deprecation") // abstract in ParquetWriter.Builder
    protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
      return support;
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(ParquetConfiguration conf) {
      return support;
    }
  }
}
