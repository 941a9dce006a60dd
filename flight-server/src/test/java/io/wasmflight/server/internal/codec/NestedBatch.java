package io.wasmflight.server.internal.codec;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.complex.DenseUnionVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.ListViewVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.RunEndEncodedVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.complex.UnionVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A batch of nested columns built by hand (list, struct, map, fixed-size list, list view, dense and
 * sparse union, run-end encoded, a string view, a dictionary), for unit tests of the reader on
 * every layout.
 */
final class NestedBatch implements AutoCloseable {
  static final ArrowType I64 = new ArrowType.Int(64, true);
  static final ArrowType I32 = new ArrowType.Int(32, true);
  static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;

  final VectorSchemaRoot root;
  final DictionaryProvider.MapDictionaryProvider dictionaries =
      new DictionaryProvider.MapDictionaryProvider();
  private final VarCharVector dictionary;

  static Schema schema() {
    Field list =
        new Field(
            "list",
            FieldType.nullable(ArrowType.List.INSTANCE),
            List.of(Field.nullable("item", I64)));
    Field struct =
        new Field(
            "struct",
            new FieldType(true, ArrowType.Struct.INSTANCE, null, Map.of("k", "v")),
            List.of(Field.nullable("a", UTF8), Field.notNullable("b", I32)));
    Field map =
        new Field(
            "map",
            FieldType.nullable(new ArrowType.Map(false)),
            List.of(
                new Field(
                    "entries",
                    FieldType.notNullable(ArrowType.Struct.INSTANCE),
                    List.of(Field.notNullable("key", UTF8), Field.nullable("value", I32)))));
    Field fsl =
        new Field(
            "fsl",
            FieldType.nullable(new ArrowType.FixedSizeList(2)),
            List.of(
                Field.nullable(
                    "item", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    Field listView =
        new Field(
            "list_view",
            FieldType.nullable(ArrowType.ListView.INSTANCE),
            List.of(Field.nullable("item", I32)));
    Field dense =
        new Field(
            "dense",
            FieldType.notNullable(new ArrowType.Union(UnionMode.Dense, new int[] {2, 5})),
            List.of(Field.nullable("i", I64), Field.nullable("s", UTF8)));
    Field sparse =
        new Field(
            "sparse",
            FieldType.notNullable(new ArrowType.Union(UnionMode.Sparse, new int[] {3, 1})),
            List.of(Field.nullable("i", I32), Field.nullable("s", UTF8)));
    Field ree =
        new Field(
            "ree",
            FieldType.notNullable(ArrowType.RunEndEncoded.INSTANCE),
            List.of(Field.notNullable("run_ends", I32), Field.nullable("values", UTF8)));
    Field view = Field.nullable("view", ArrowType.Utf8View.INSTANCE);
    Field dict =
        new Field(
            "dict",
            new FieldType(
                true,
                new ArrowType.Int(8, true),
                new DictionaryEncoding(0, true, new ArrowType.Int(8, true))),
            null);
    return new Schema(
        List.of(list, struct, map, fsl, listView, dense, sparse, ree, view, dict),
        Map.of("schema", "meta"));
  }

  NestedBatch(BufferAllocator allocator, int rows) {
    root = VectorSchemaRoot.create(schema(), allocator);
    dictionary = new VarCharVector(new Field("DICT0", FieldType.nullable(UTF8), null), allocator);
    dictionary.allocateNew();
    for (int i = 0; i < 4; i++) {
      dictionary.setSafe(i, ("word" + i).getBytes(StandardCharsets.UTF_8));
    }
    dictionary.setNull(2);
    dictionary.setValueCount(4);
    dictionaries.put(
        new Dictionary(dictionary, new DictionaryEncoding(0, true, new ArrowType.Int(8, true))));
    fill(rows);
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void fill(int n) {
    ListVector list = (ListVector) root.getVector("list");
    list.allocateNew();
    BigIntVector items = (BigIntVector) list.getDataVector();
    int total = 0;
    for (int i = 0; i < n; i++) {
      if (i % 5 == 3) {
        list.setNull(i);
        continue;
      }
      list.startNewValue(i);
      for (int k = 0; k < i % 3; k++) {
        items.setSafe(total++, i * 10L + k);
      }
      list.endValue(i, i % 3);
    }
    items.setValueCount(total);
    list.setValueCount(n);

    StructVector struct = (StructVector) root.getVector("struct");
    struct.allocateNew();
    VarCharVector a = (VarCharVector) struct.getChild("a");
    IntVector b = (IntVector) struct.getChild("b");
    for (int i = 0; i < n; i++) {
      if (i % 4 == 1) {
        a.setNull(i);
      } else {
        a.setSafe(i, text("s" + i + "é".repeat(i % 3)));
      }
      b.setSafe(i, i * 7);
      if (i % 6 == 5) {
        struct.setNull(i);
      } else {
        struct.setIndexDefined(i);
      }
    }
    struct.setValueCount(n);

    MapVector map = (MapVector) root.getVector("map");
    map.allocateNew();
    StructVector entries = (StructVector) map.getDataVector();
    VarCharVector keys = (VarCharVector) entries.getChild("key");
    IntVector values = (IntVector) entries.getChild("value");
    int e = 0;
    for (int i = 0; i < n; i++) {
      map.startNewValue(i);
      for (int k = 0; k < i % 2 + 1; k++) {
        keys.setSafe(e, text("k" + k));
        if (k == 1) {
          values.setNull(e);
        } else {
          values.setSafe(e, i + k);
        }
        entries.setIndexDefined(e);
        e++;
      }
      map.endValue(i, i % 2 + 1);
    }
    entries.setValueCount(e);
    map.setValueCount(n);

    FixedSizeListVector fsl = (FixedSizeListVector) root.getVector("fsl");
    fsl.allocateNew();
    Float8Vector doubles = (Float8Vector) fsl.getDataVector();
    for (int i = 0; i < n; i++) {
      fsl.startNewValue(i);
      doubles.setSafe(2 * i, i / 3.0);
      doubles.setSafe(2 * i + 1, -i);
    }
    doubles.setValueCount(2 * n);
    fsl.setValueCount(n);

    ListViewVector lv = (ListViewVector) root.getVector("list_view");
    lv.allocateNew();
    lv.setValueCount(n);
    IntVector lvItems = (IntVector) lv.getDataVector();
    int child = n + 3;
    for (int i = 0; i < child; i++) {
      lvItems.setSafe(i, i * 100);
    }
    lvItems.setValueCount(child);
    for (int i = 0; i < n; i++) {
      lv.getOffsetBuffer().setInt(4L * i, (i * 5) % (child - 2));
      lv.getSizeBuffer().setInt(4L * i, i % 3);
      lv.setValidity(i, 1);
    }
    lv.setValueCount(n);

    DenseUnionVector dense = (DenseUnionVector) root.getVector("dense");
    dense.allocateNew();
    dense.setValueCount(n);
    List<FieldVector> dc = dense.getChildrenFromFields();
    BigIntVector di = (BigIntVector) dc.get(0);
    VarCharVector ds = (VarCharVector) dc.get(1);
    di.allocateNew();
    ds.allocateNew();
    int ni = 0;
    int ns = 0;
    for (int i = 0; i < n; i++) {
      if (i % 3 == 0) {
        dense.setTypeId(i, (byte) 5);
        dense.getOffsetBuffer().setInt(4L * i, ns);
        ds.setSafe(ns++, text("d" + i));
      } else {
        dense.setTypeId(i, (byte) 2);
        dense.getOffsetBuffer().setInt(4L * i, ni);
        di.setSafe(ni++, -i);
      }
    }
    di.setValueCount(ni);
    ds.setValueCount(ns);
    dense.setValueCount(n);

    UnionVector sparse = (UnionVector) root.getVector("sparse");
    sparse.allocateNew();
    sparse.setValueCount(n);
    List<FieldVector> sc = sparse.getChildrenFromFields();
    IntVector si = (IntVector) sc.get(0);
    VarCharVector ss = (VarCharVector) sc.get(1);
    si.allocateNew();
    ss.allocateNew();
    for (int i = 0; i < n; i++) {
      sparse.getTypeBuffer().setByte(i, i % 2 == 0 ? 3 : 1);
      si.setSafe(i, i);
      ss.setSafe(i, text("t" + i));
    }
    si.setValueCount(n);
    ss.setValueCount(n);
    sparse.setValueCount(n);

    RunEndEncodedVector ree = (RunEndEncodedVector) root.getVector("ree");
    List<FieldVector> rc = ree.getChildrenFromFields();
    IntVector ends = (IntVector) rc.get(0);
    VarCharVector rv = (VarCharVector) rc.get(1);
    ends.allocateNew();
    rv.allocateNew();
    int runs = 0;
    for (int at = 0; at < n; runs++) {
      at = Math.min(n, at + 1 + runs % 3);
      ends.setSafe(runs, at);
      rv.setSafe(runs, text("run" + runs));
    }
    ends.setValueCount(runs);
    rv.setValueCount(runs);
    ree.setValueCount(n);

    ViewVarCharVector view = (ViewVarCharVector) root.getVector("view");
    view.allocateNew();
    for (int i = 0; i < n; i++) {
      if (i % 7 == 2) {
        view.setNull(i);
      } else {
        view.setSafe(i, text(i % 2 == 0 ? "short" + i : "a longer string than twelve " + i));
      }
    }
    view.setValueCount(n);

    TinyIntVector dict = (TinyIntVector) root.getVector("dict");
    dict.allocateNew(n);
    for (int i = 0; i < n; i++) {
      if (i % 4 == 3) {
        dict.setNull(i);
      } else {
        dict.set(i, i % 4);
      }
    }
    dict.setValueCount(n);
    root.setRowCount(n);
  }

  @Override
  public void close() {
    root.close();
    dictionary.close();
  }
}
