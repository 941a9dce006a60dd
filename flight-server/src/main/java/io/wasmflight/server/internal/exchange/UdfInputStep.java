package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.internal.registry.UdfSignature;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The input side of an arrow-udf call (engines.md): the engines send unnamed columns, and strings
 * or binaries in the layout of their own choice (Databend: large_utf8 or utf8_view). Before the
 * function sees a batch, each column takes the declared field (name and type): a column of the
 * declared type is moved over without a copy, a string or binary of another layout is converted.
 */
public final class UdfInputStep implements BatchStep {
  private final UdfSignature signature;
  private final BatchStep inner;
  private final BufferAllocator allocator;
  private boolean checked;

  public UdfInputStep(UdfSignature signature, BatchStep inner, BufferAllocator allocator) {
    this.signature = signature;
    this.inner = inner;
    this.allocator = allocator;
  }

  @Override
  public void apply(VectorSchemaRoot in, DictionaryProvider dictionaries, Emitter out) {
    if (!checked) {
      signature.checkInput(in.getSchema());
      checked = true;
    }
    List<Field> declared = signature.function().input().getFields();
    List<FieldVector> columns = new ArrayList<>(declared.size());
    try {
      for (int i = 0; i < declared.size(); i++) {
        columns.add(adapt(in.getVector(i), declared.get(i), in.getRowCount()));
      }
      try (VectorSchemaRoot adapted = new VectorSchemaRoot(declared, columns, in.getRowCount())) {
        columns = List.of();
        inner.apply(adapted, dictionaries, out);
      }
    } finally {
      columns.forEach(FieldVector::close);
    }
  }

  private FieldVector adapt(FieldVector v, Field want, int rows) {
    if (v.getField().getType().equals(want.getType())) {
      TransferPair t = v.getTransferPair(want, allocator);
      t.transfer();
      return (FieldVector) t.getTo();
    }
    // Another layout of the same strings or bytes: copy value by value.
    VariableWidthFieldVector from = (VariableWidthFieldVector) v;
    FieldVector to = want.createVector(allocator);
    try {
      VariableWidthFieldVector target = (VariableWidthFieldVector) to;
      to.setInitialCapacity(rows);
      to.allocateNew();
      for (int r = 0; r < rows; r++) {
        if (from.isNull(r)) {
          to.setNull(r);
        } else {
          target.setSafe(r, from.get(r));
        }
      }
      to.setValueCount(rows);
      return to;
    } catch (RuntimeException | Error e) {
      to.close();
      throw e;
    }
  }

  @Override
  public void finish(Emitter out) {
    inner.finish(out);
  }

  @Override
  public boolean forwardsEmptyBatches() {
    return inner.forwardsEmptyBatches();
  }

  @Override
  public DictionaryProvider outputDictionaries() {
    return inner.outputDictionaries();
  }

  @Override
  public Schema emptyStreamSchema(Schema input, DictionaryProvider dictionaries) {
    return inner.emptyStreamSchema(signature.function().input(), dictionaries);
  }

  @Override
  public long memoryBytes() {
    return inner.memoryBytes();
  }

  @Override
  public void close() {
    inner.close();
  }
}
