package io.wasmflight.integration;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.DenseUnionVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.LargeListViewVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.ListViewVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.RunEndEncodedVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.complex.UnionVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.Types;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Random Arrow schemas (every type wasm-flight carries, nested, with dictionaries and metadata) and
 * random data for them, reproducible from a seed.
 *
 * <p>Dictionary ids are assigned the way the server numbers output dictionaries (depth-first, a
 * dictionary's values before its own id), so an echoed schema is equal to the input schema. Arrow
 * Java's sparse {@link UnionVector} finds a member's vector by its minor type, so sparse union
 * members here have distinct flat types (Java's equality could not compare others; the server
 * carries any member type, which the pyarrow suite covers).
 */
final class RandomArrow {
  private final Random r;
  private final BufferAllocator allocator;
  private final int maxDepth;
  private final DictionaryProvider.MapDictionaryProvider dictionaries =
      new DictionaryProvider.MapDictionaryProvider();
  private final List<FieldVector> dictionaryVectors = new ArrayList<>();
  private long nextDictionaryId;
  private int names;

  RandomArrow(long seed, BufferAllocator allocator, int maxDepth) {
    this.r = new Random(seed);
    this.allocator = allocator;
    this.maxDepth = maxDepth;
  }

  /** The dictionaries of the last schema (fixed for all its batches). */
  DictionaryProvider.MapDictionaryProvider dictionaries() {
    return dictionaries;
  }

  /** Closes the dictionary vectors. */
  void closeDictionaries() {
    for (FieldVector v : dictionaryVectors) {
      v.close();
    }
    dictionaryVectors.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Schemas
  // ---------------------------------------------------------------------------------------------

  /** A schema of 1..maxColumns columns; column 0 is nested at least 3 levels deep. */
  Schema schema(int maxColumns) {
    int n = 1 + r.nextInt(maxColumns);
    List<Field> fields = new ArrayList<>();
    Set<String> used = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String name = uniqueName(used);
      fields.add(i == 0 ? deep(name, 3) : field(name, 0, ANY));
    }
    return new Schema(fields, r.nextInt(3) == 0 ? metadata() : null);
  }

  /** A field nested exactly {@code levels} levels (then anything). */
  private Field deep(String name, int levels) {
    if (levels == 0) {
      return field(name, maxDepth - 1, NO_SPARSE_UNION | NO_UNION);
    }
    boolean nullable = r.nextBoolean();
    Field inner = deep(childName(), levels - 1);
    return switch (r.nextInt(6)) {
      case 0 ->
          new Field(
              name, new FieldType(nullable, ArrowType.List.INSTANCE, null, meta()), List.of(inner));
      case 1 ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.LargeList.INSTANCE, null, meta()),
              List.of(inner));
      case 2 ->
          new Field(
              name,
              new FieldType(nullable, new ArrowType.FixedSizeList(1 + r.nextInt(3)), null, meta()),
              List.of(inner));
      case 3 ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.ListView.INSTANCE, null, meta()),
              List.of(inner));
      case 4 -> map(name, nullable, 0, inner);
      default ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.Struct.INSTANCE, null, meta()),
              List.of(inner, field("s" + names++, maxDepth - 1, ANY)));
    };
  }

  private String uniqueName(Set<String> used) {
    String[] pool = {"a", "b", "x", "value", "colonne_é", "列", "with space", ""};
    String name;
    do {
      name = r.nextInt(3) == 0 ? pool[r.nextInt(pool.length)] : "f" + names++;
    } while (!used.add(name));
    return name;
  }

  private String childName() {
    return "c" + names++;
  }

  private Map<String, String> meta() {
    return r.nextInt(5) == 0 ? metadata() : null;
  }

  private Map<String, String> metadata() {
    Map<String, String> m = new LinkedHashMap<>();
    int n = 1 + r.nextInt(3);
    for (int i = 0; i < n; i++) {
      m.put("k" + r.nextInt(100) + (r.nextBoolean() ? "é" : ""), text(r.nextInt(20)));
    }
    return m;
  }

  static final int ANY = 0;

  /** No dictionary-encoded field here (unions, run-end values). */
  static final int NO_DICTIONARY = 1;

  /** No run-end encoded field here (Arrow Java cannot transfer one inside a union). */
  static final int NO_RUN_END = 2;

  /** No sparse union here (Arrow Java cannot create one as a list's child). */
  static final int NO_SPARSE_UNION = 4;

  /** No union at all here (Arrow Java cannot create one as a fixed-size list's child). */
  static final int NO_UNION = 8;

  /** No union anywhere below (Arrow Java's Flight writer misstates a union in a dictionary). */
  static final int NO_UNION_BELOW = 16;

  /** A random field; {@code flags} exclude what could not round-trip in Arrow Java here. */
  Field field(String name, int depth, int flags) {
    boolean dictionaryOk = (flags & NO_DICTIONARY) == 0;
    boolean nullable = r.nextInt(4) != 0;
    Map<String, String> meta = meta();
    boolean nested = depth < maxDepth && r.nextInt(3) == 0;
    if (dictionaryOk && r.nextInt(12) == 0) {
      return dictionaryEncoded(name, nullable, meta, depth);
    }
    if (!nested) {
      ArrowType t = leafType();
      return new Field(
          name, new FieldType(t instanceof ArrowType.Null || nullable, t, null, meta), null);
    }
    int d = depth + 1;
    int kinds = (flags & NO_RUN_END) != 0 ? 10 : 11;
    int inherited = flags & (NO_RUN_END | NO_UNION_BELOW);
    if ((flags & NO_UNION_BELOW) != 0) {
      flags |= NO_UNION | NO_SPARSE_UNION;
    }
    int kind = r.nextInt(kinds);
    if (kind == 9 && (flags & NO_SPARSE_UNION) != 0 || kind == 8 && (flags & NO_UNION) != 0) {
      kind = 5;
    }
    return switch (kind) {
      case 0 ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.List.INSTANCE, null, meta),
              List.of(field(listChild(), d, inherited | NO_SPARSE_UNION)));
      case 1 ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.LargeList.INSTANCE, null, meta),
              List.of(field(listChild(), d, inherited | NO_SPARSE_UNION)));
      case 2 ->
          new Field(
              name,
              new FieldType(nullable, new ArrowType.FixedSizeList(1 + r.nextInt(4)), null, meta),
              List.of(field(listChild(), d, inherited | NO_SPARSE_UNION | NO_UNION)));
      case 3 ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.ListView.INSTANCE, null, meta),
              List.of(field(listChild(), d, inherited | NO_SPARSE_UNION)));
      case 4 ->
          new Field(
              name,
              new FieldType(nullable, ArrowType.LargeListView.INSTANCE, null, meta),
              List.of(field(listChild(), d, inherited | NO_SPARSE_UNION)));
      case 5, 6 -> {
        int n = 1 + r.nextInt(4);
        List<Field> children = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (int i = 0; i < n; i++) {
          children.add(field(uniqueName(used), d, inherited));
        }
        yield new Field(
            name, new FieldType(nullable, ArrowType.Struct.INSTANCE, null, meta), children);
      }
      case 7 -> map(name, nullable, d, field("value", d, inherited));
      case 8 -> denseUnion(name, meta, d);
      case 9 -> sparseUnion(name, meta);
      default -> runEndEncoded(name, meta, d, inherited);
    };
  }

  private String listChild() {
    String[] names = {"item", "element", "$data$", "l"};
    return names[r.nextInt(names.length)];
  }

  private Field map(String name, boolean nullable, int depth, Field value) {
    ArrowType keyType =
        switch (r.nextInt(4)) {
          case 0 -> ArrowType.Utf8.INSTANCE;
          case 1 -> new ArrowType.Int(32, true);
          case 2 -> new ArrowType.Int(8, false);
          default -> ArrowType.Binary.INSTANCE;
        };
    Field key = new Field("key", FieldType.notNullable(keyType), null);
    Field v = new Field("value", value.getFieldType(), value.getChildren());
    Field entries =
        new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(key, v));
    return new Field(
        name,
        new FieldType(nullable, new ArrowType.Map(r.nextBoolean()), null, meta()),
        List.of(entries));
  }

  private Field denseUnion(String name, Map<String, String> meta, int depth) {
    int n = 1 + r.nextInt(4);
    List<Field> children = new ArrayList<>();
    Set<String> used = new HashSet<>();
    // Arrow Java's DenseUnionVector.getField() lists members by ascending type id, which
    // VectorLoader pairs with the children in schema order: only ascending ids load correctly.
    int[] ids = distinctIds(n);
    java.util.Arrays.sort(ids);
    for (int i = 0; i < n; i++) {
      children.add(field(uniqueName(used), depth, NO_DICTIONARY | NO_RUN_END));
    }
    return new Field(
        name,
        new FieldType(false, new ArrowType.Union(UnionMode.Dense, ids), null, meta),
        children);
  }

  private Field sparseUnion(String name, Map<String, String> meta) {
    int n = 1 + r.nextInt(4);
    List<Field> children = new ArrayList<>();
    Set<Types.MinorType> minor = new HashSet<>();
    Set<String> used = new HashSet<>();
    int[] ids = distinctIds(n);
    while (children.size() < n) {
      ArrowType t = leafType();
      Types.MinorType m = Types.getMinorTypeForArrowType(t);
      if (!SPARSE_MEMBERS.contains(m) || !minor.add(m)) {
        continue;
      }
      children.add(new Field(uniqueName(used), FieldType.nullable(t), null));
    }
    return new Field(
        name,
        new FieldType(false, new ArrowType.Union(UnionMode.Sparse, ids), null, meta),
        children);
  }

  /** Member types Arrow Java's UnionVector can look up without an ArrowType (for equality). */
  private static final Set<Types.MinorType> SPARSE_MEMBERS =
      Set.of(
          Types.MinorType.TINYINT,
          Types.MinorType.SMALLINT,
          Types.MinorType.INT,
          Types.MinorType.BIGINT,
          Types.MinorType.UINT1,
          Types.MinorType.UINT2,
          Types.MinorType.UINT4,
          Types.MinorType.UINT8,
          Types.MinorType.FLOAT2,
          Types.MinorType.FLOAT4,
          Types.MinorType.FLOAT8,
          Types.MinorType.BIT,
          Types.MinorType.VARCHAR,
          Types.MinorType.VARBINARY,
          Types.MinorType.LARGEVARCHAR,
          Types.MinorType.LARGEVARBINARY,
          Types.MinorType.VIEWVARCHAR,
          Types.MinorType.VIEWVARBINARY,
          Types.MinorType.DATEDAY,
          Types.MinorType.DATEMILLI,
          Types.MinorType.TIMESEC,
          Types.MinorType.TIMEMILLI,
          Types.MinorType.TIMEMICRO,
          Types.MinorType.TIMENANO,
          Types.MinorType.TIMESTAMPSEC,
          Types.MinorType.TIMESTAMPMILLI,
          Types.MinorType.TIMESTAMPMICRO,
          Types.MinorType.TIMESTAMPNANO,
          Types.MinorType.INTERVALYEAR,
          Types.MinorType.INTERVALDAY,
          Types.MinorType.INTERVALMONTHDAYNANO);

  private int[] distinctIds(int n) {
    Set<Integer> seen = new HashSet<>();
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      int id;
      do {
        id = r.nextInt(3) == 0 ? r.nextInt(128) : r.nextInt(8);
      } while (!seen.add(id));
      ids[i] = id;
    }
    return ids;
  }

  private Field runEndEncoded(String name, Map<String, String> meta, int depth, int flags) {
    ArrowType runEnds =
        switch (r.nextInt(3)) {
          case 0 -> new ArrowType.Int(16, true);
          case 1 -> new ArrowType.Int(32, true);
          default -> new ArrowType.Int(64, true);
        };
    return new Field(
        name,
        new FieldType(false, ArrowType.RunEndEncoded.INSTANCE, null, meta),
        List.of(
            new Field("run_ends", FieldType.notNullable(runEnds), null),
            field("values", depth, flags | NO_DICTIONARY | NO_RUN_END)));
  }

  private Field dictionaryEncoded(
      String name, boolean nullable, Map<String, String> meta, int depth) {
    Field values;
    if (depth < maxDepth && r.nextInt(4) == 0) {
      // Nested values, maybe with dictionary-encoded children (not itself encoded).
      values = field("values", depth + 1, NO_UNION_BELOW | NO_DICTIONARY);
    } else {
      ArrowType t = r.nextBoolean() ? ArrowType.Utf8.INSTANCE : leafType();
      values = new Field("values", FieldType.nullable(t), null);
    }
    if (values.getType() instanceof ArrowType.Null) {
      values = new Field("values", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
    }
    ArrowType.Int index =
        switch (r.nextInt(5)) {
          case 0 -> new ArrowType.Int(8, true);
          case 1 -> new ArrowType.Int(16, true);
          case 2 -> new ArrowType.Int(64, true);
          case 3 -> new ArrowType.Int(8, false);
          default -> new ArrowType.Int(32, true);
        };
    long id = nextDictionaryId++;
    DictionaryEncoding encoding = new DictionaryEncoding(id, r.nextBoolean(), index);
    Field dictField =
        new Field(
            "DICT" + id,
            new FieldType(nullable, values.getType(), null, null),
            values.getChildren());
    FieldVector vector = dictField.createVector(allocator);
    dictionaryVectors.add(vector);
    fill(vector, dictField, 1 + r.nextInt(12), 0.2);
    dictionaries.put(new Dictionary(vector, encoding));
    return new Field(name, new FieldType(nullable, index, encoding, meta), null);
  }

  private ArrowType leafType() {
    TimeUnit[] units = TimeUnit.values();
    String[] zones = {null, "UTC", "Europe/Paris", "+05:30", "America/New_York"};
    return switch (r.nextInt(28)) {
      case 0 -> ArrowType.Null.INSTANCE;
      case 1 -> ArrowType.Bool.INSTANCE;
      case 2 -> new ArrowType.Int(8 << r.nextInt(4), r.nextBoolean());
      case 3 -> new ArrowType.Int(8 << r.nextInt(4), r.nextBoolean());
      case 4 -> new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
      case 5 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case 6 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case 7 -> {
        int p = 1 + r.nextInt(38);
        yield new ArrowType.Decimal(p, r.nextInt(p + 6) - 5, 128);
      }
      case 8 -> {
        int p = 1 + r.nextInt(76);
        yield new ArrowType.Decimal(p, r.nextInt(p + 6) - 5, 256);
      }
      case 9 -> new ArrowType.Date(r.nextBoolean() ? DateUnit.DAY : DateUnit.MILLISECOND);
      case 10 ->
          r.nextBoolean()
              ? new ArrowType.Time(TimeUnit.SECOND, 32)
              : new ArrowType.Time(TimeUnit.MILLISECOND, 32);
      case 11 ->
          r.nextBoolean()
              ? new ArrowType.Time(TimeUnit.MICROSECOND, 64)
              : new ArrowType.Time(TimeUnit.NANOSECOND, 64);
      case 12, 13 -> new ArrowType.Timestamp(units[r.nextInt(4)], zones[r.nextInt(zones.length)]);
      case 14 -> new ArrowType.Duration(units[r.nextInt(4)]);
      case 15 -> new ArrowType.Interval(IntervalUnit.values()[r.nextInt(3)]);
      case 16, 17 -> ArrowType.Utf8.INSTANCE;
      case 18 -> ArrowType.LargeUtf8.INSTANCE;
      case 19 -> ArrowType.Binary.INSTANCE;
      case 20 -> ArrowType.LargeBinary.INSTANCE;
      case 21 -> new ArrowType.FixedSizeBinary(1 + r.nextInt(20));
      case 22, 23 -> ArrowType.Utf8View.INSTANCE;
      case 24 -> ArrowType.BinaryView.INSTANCE;
      case 25 -> new ArrowType.Int(64, true);
      case 26 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      default -> ArrowType.Utf8.INSTANCE;
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Data
  // ---------------------------------------------------------------------------------------------

  /** Fills every column of a root with {@code rows} random rows. */
  void fill(VectorSchemaRoot root, int rows) {
    double nulls = r.nextInt(4) == 0 ? 0 : r.nextDouble() * 0.5;
    List<Field> fields = root.getSchema().getFields();
    for (int i = 0; i < fields.size(); i++) {
      fill(root.getVector(i), fields.get(i), rows, nulls);
    }
    root.setRowCount(rows);
  }

  /**
   * Fills a vector with n random values, a share {@code nulls} of them null when nullable.
   *
   * @param f the vector's field in the schema (a vector's own getField() is not always it: Arrow
   *     Java's sparse union reports minor-type ordinals as its type ids)
   */
  void fill(FieldVector v, Field f, int n, double nulls) {
    double p = f.isNullable() ? nulls : 0;
    DictionaryEncoding enc = f.getDictionary();
    if (enc != null) {
      int size = dictionaries.lookup(enc.getId()).getVector().getValueCount();
      BaseIntVector idx = (BaseIntVector) v;
      v.allocateNew();
      for (int i = 0; i < n; i++) {
        if (r.nextDouble() < p) {
          v.setNull(i);
        } else {
          ensureCapacity(v, i);
          idx.setWithPossibleTruncate(i, r.nextInt(size));
        }
      }
      v.setValueCount(n);
      return;
    }
    switch (v) {
      case NullVector x -> x.setValueCount(n);
      case BitVector x -> {
        x.allocateNew(n);
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.set(i, r.nextInt(2));
          }
        }
        x.setValueCount(n);
      }
      case DecimalVector x -> fillDecimal(x, n, p, 16, x.getPrecision());
      case Decimal256Vector x -> fillDecimal(x, n, p, 32, x.getPrecision());
      case BaseFixedWidthVector x -> {
        x.allocateNew(n);
        int w = x.getTypeWidth();
        byte[] bytes = new byte[n * w];
        r.nextBytes(bytes);
        x.getDataBuffer().setBytes(0, bytes);
        for (int i = 0; i < n; i++) {
          BitVectorHelper.setValidityBit(x.getValidityBuffer(), i, r.nextDouble() < p ? 0 : 1);
        }
        x.setValueCount(n);
      }
      case BaseVariableWidthVector x -> {
        x.allocateNew();
        boolean utf8 = f.getType() instanceof ArrowType.Utf8;
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.setSafe(i, value(utf8));
          }
        }
        x.setValueCount(n);
      }
      case BaseLargeVariableWidthVector x -> {
        x.allocateNew();
        boolean utf8 = f.getType() instanceof ArrowType.LargeUtf8;
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.setSafe(i, value(utf8));
          }
        }
        x.setValueCount(n);
      }
      case BaseVariableWidthViewVector x -> {
        x.allocateNew();
        boolean utf8 = f.getType() instanceof ArrowType.Utf8View;
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.setSafe(i, value(utf8));
          }
        }
        x.setValueCount(n);
      }
      case MapVector x -> fillList(x, f, n, p);
      case ListVector x -> fillList(x, f, n, p);
      case LargeListVector x -> {
        x.allocateNew();
        int total = 0;
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.startNewValue(i);
            int size = r.nextInt(4);
            x.endValue(i, size);
            total += size;
          }
        }
        fill(x.getDataVector(), f.getChildren().get(0), total, nulls);
        x.setValueCount(n);
      }
      case FixedSizeListVector x -> {
        x.allocateNew();
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.startNewValue(i);
          }
        }
        fill(x.getDataVector(), f.getChildren().get(0), n * x.getListSize(), nulls);
        x.setValueCount(n);
      }
      case ListViewVector x -> {
        x.allocateNew();
        x.setValueCount(n);
        int child = r.nextInt(3 * n + 1);
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            int size = child == 0 ? 0 : r.nextInt(Math.min(child, 4) + 1);
            int off = r.nextInt(child - size + 1);
            x.getOffsetBuffer().setInt(4L * i, off);
            x.getSizeBuffer().setInt(4L * i, size);
            x.setValidity(i, 1);
          }
        }
        fill(x.getDataVector(), f.getChildren().get(0), child, nulls);
        x.setValueCount(n);
      }
      case LargeListViewVector x -> {
        x.allocateNew();
        x.setValueCount(n);
        int child = r.nextInt(3 * n + 1);
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            int size = child == 0 ? 0 : r.nextInt(Math.min(child, 4) + 1);
            int off = r.nextInt(child - size + 1);
            x.getOffsetBuffer().setLong(8L * i, off);
            x.getSizeBuffer().setLong(8L * i, size);
            x.setValidity(i, 1);
          }
        }
        fill(x.getDataVector(), f.getChildren().get(0), child, nulls);
        x.setValueCount(n);
      }
      case StructVector x -> {
        x.allocateNew();
        List<FieldVector> children = x.getChildrenFromFields();
        for (int k = 0; k < children.size(); k++) {
          fill(children.get(k), f.getChildren().get(k), n, nulls);
        }
        for (int i = 0; i < n; i++) {
          if (r.nextDouble() < p) {
            x.setNull(i);
          } else {
            x.setIndexDefined(i);
          }
        }
        x.setValueCount(n);
      }
      case DenseUnionVector x -> {
        int[] ids = ((ArrowType.Union) f.getType()).getTypeIds();
        List<FieldVector> children = x.getChildrenFromFields();
        x.allocateNew();
        x.setValueCount(n);
        int[] counts = new int[ids.length];
        for (int i = 0; i < n; i++) {
          int k = r.nextInt(ids.length);
          x.setTypeId(i, (byte) ids[k]);
          x.getOffsetBuffer().setInt(4L * i, counts[k]++);
        }
        for (int k = 0; k < ids.length; k++) {
          fill(children.get(k), f.getChildren().get(k), counts[k], nulls);
        }
        x.setValueCount(n);
      }
      case UnionVector x -> {
        int[] ids = ((ArrowType.Union) f.getType()).getTypeIds();
        List<FieldVector> children = x.getChildrenFromFields();
        x.allocateNew();
        x.setValueCount(n);
        for (int i = 0; i < n; i++) {
          x.getTypeBuffer().setByte(i, ids[r.nextInt(ids.length)]);
        }
        for (int k = 0; k < children.size(); k++) {
          fill(children.get(k), f.getChildren().get(k), n, nulls);
        }
        x.setValueCount(n);
      }
      case RunEndEncodedVector x -> {
        List<FieldVector> children = x.getChildrenFromFields();
        BaseIntVector ends = (BaseIntVector) children.get(0);
        List<Integer> runEnds = new ArrayList<>();
        int at = 0;
        while (at < n) {
          at += 1 + r.nextInt(Math.min(n - at, 5));
          runEnds.add(at);
        }
        FieldVector endsVector = children.get(0);
        endsVector.allocateNew();
        for (int i = 0; i < runEnds.size(); i++) {
          ensureCapacity(endsVector, i);
          ends.setWithPossibleTruncate(i, runEnds.get(i));
        }
        endsVector.setValueCount(runEnds.size());
        fill(children.get(1), f.getChildren().get(1), runEnds.size(), nulls);
        x.setValueCount(n);
      }
      default -> throw new IllegalStateException("no generator for " + v.getClass());
    }
  }

  private void fillList(ListVector x, Field f, int n, double p) {
    x.allocateNew();
    int total = 0;
    for (int i = 0; i < n; i++) {
      if (r.nextDouble() < p) {
        x.setNull(i);
      } else {
        x.startNewValue(i);
        int size = r.nextInt(4);
        x.endValue(i, size);
        total += size;
      }
    }
    fill(x.getDataVector(), f.getChildren().get(0), total, p == 0 ? 0.1 : p);
    x.setValueCount(n);
  }

  private static void ensureCapacity(FieldVector v, int i) {
    while (v.getValueCapacity() <= i) {
      v.reAlloc();
    }
  }

  private void fillDecimal(BaseFixedWidthVector x, int n, double p, int width, int precision) {
    x.allocateNew(n);
    ArrowBuf data = x.getDataBuffer();
    for (int i = 0; i < n; i++) {
      // Unscaled values that fit the precision: up to precision decimal digits.
      long v = precision >= 18 ? r.nextLong() / 10 : r.nextLong() % pow10(precision);
      long sign = v < 0 ? -1L : 0L;
      data.setLong((long) i * width, v);
      for (int k = 8; k < width; k += 8) {
        data.setLong((long) i * width + k, sign);
      }
      BitVectorHelper.setValidityBit(x.getValidityBuffer(), i, r.nextDouble() < p ? 0 : 1);
    }
    x.setValueCount(n);
  }

  private static long pow10(int n) {
    long v = 1;
    for (int i = 0; i < n; i++) {
      v *= 10;
    }
    return v;
  }

  private byte[] value(boolean utf8) {
    int len =
        switch (r.nextInt(4)) {
          case 0 -> 0;
          case 1 -> 1 + r.nextInt(12); // inline in a view
          default -> 13 + r.nextInt(30); // a view into a data buffer
        };
    if (utf8) {
      return text(len).getBytes(StandardCharsets.UTF_8);
    }
    byte[] b = new byte[len];
    r.nextBytes(b);
    return b;
  }

  private String text(int len) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz ABC0123456789éü✓€中文🙂";
    StringBuilder s = new StringBuilder();
    while (s.length() < len) {
      int cp =
          alphabet.codePointAt(
              alphabet.offsetByCodePoints(
                  0, r.nextInt(alphabet.codePointCount(0, alphabet.length()))));
      s.appendCodePoint(cp);
    }
    return s.toString();
  }
}
