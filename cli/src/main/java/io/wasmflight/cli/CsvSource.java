package io.wasmflight.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV file with a header row, read with Apache Commons CSV. Column types are inferred from the
 * first {@value #SAMPLE_ROWS} rows unless {@code --schema} gives them: int64 if every non-empty
 * value is an integer, else float64 if every one is a number, else bool if every one is {@code
 * true}/{@code false}, else utf8. An empty field is a null, and so is an empty line. A later value
 * that does not fit the inferred type is bad input naming the row.
 */
final class CsvSource implements BatchSource {
  static final int SAMPLE_ROWS = 1000;

  private final CSVParser parser;
  private final Iterator<CSVRecord> records;
  private final Deque<CSVRecord> sample = new ArrayDeque<>();
  private final VectorSchemaRoot root;
  private final int batchRows;
  private final Path file;

  CsvSource(Path file, BufferAllocator allocator, int batchRows, Map<String, ArrowType> types)
      throws IOException {
    this.file = file;
    this.batchRows = batchRows;
    Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    parser =
        CSVFormat.DEFAULT
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .setIgnoreEmptyLines(false) // an empty line is a row of nulls (one column: a null)
            .get()
            .parse(reader);
    records = parser.iterator();
    List<String> names = parser.getHeaderNames();
    if (names.isEmpty()) {
      parser.close();
      throw new CliException(ExitCode.BAD_INPUT, file + ": no header row");
    }
    while (sample.size() < SAMPLE_ROWS && records.hasNext()) {
      sample.add(records.next());
    }
    for (String given : types.keySet()) {
      if (!names.contains(given)) {
        parser.close();
        throw new CliException(
            ExitCode.USAGE, "--schema names column '" + given + "', which " + file + " lacks");
      }
    }
    List<Field> fields = new ArrayList<>();
    for (int c = 0; c < names.size(); c++) {
      ArrowType given = types.get(names.get(c));
      fields.add(Field.nullable(names.get(c), given != null ? given : infer(c)));
    }
    root = VectorSchemaRoot.create(new Schema(fields), allocator);
  }

  private ArrowType infer(int column) {
    boolean ints = true;
    boolean numbers = true;
    boolean bools = true;
    boolean any = false;
    for (CSVRecord r : sample) {
      String v = column < r.size() ? r.get(column) : "";
      if (v.isEmpty()) {
        continue;
      }
      any = true;
      ints &= isLong(v);
      numbers &= ints || isDouble(v);
      bools &= v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false");
    }
    if (!any) {
      return Columns.UTF8;
    }
    return ints ? Columns.INT64 : numbers ? Columns.FLOAT64 : bools ? Columns.BOOL : Columns.UTF8;
  }

  private static boolean isLong(String v) {
    try {
      Long.parseLong(v);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean isDouble(String v) {
    try {
      Double.parseDouble(v);
      return true;
    } catch (NumberFormatException e) {
      return false;
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
  public boolean next() {
    root.clear();
    for (FieldVector v : root.getFieldVectors()) {
      v.setInitialCapacity(batchRows);
      v.allocateNew();
    }
    int row = 0;
    while (row < batchRows) {
      CSVRecord r;
      if (!sample.isEmpty()) {
        r = sample.poll();
      } else if (records.hasNext()) {
        r = records.next();
      } else {
        break;
      }
      for (int c = 0; c < root.getFieldVectors().size(); c++) {
        set(root.getVector(c), row, c < r.size() ? r.get(c) : "", r.getRecordNumber());
      }
      row++;
    }
    root.setRowCount(row);
    return row > 0;
  }

  private void set(FieldVector v, int row, String s, long record) {
    if (s.isEmpty()) {
      v.setNull(row);
      return;
    }
    try {
      switch (v) {
        case BigIntVector l -> l.setSafe(row, Long.parseLong(s));
        case IntVector n -> n.setSafe(row, Integer.parseInt(s));
        case Float8Vector d -> d.setSafe(row, Double.parseDouble(s));
        case Float4Vector f -> f.setSafe(row, Float.parseFloat(s));
        case BitVector b -> {
          if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
            throw new NumberFormatException(s);
          }
          b.setSafe(row, s.equalsIgnoreCase("true") ? 1 : 0);
        }
        case VarCharVector t -> t.setSafe(row, s.getBytes(StandardCharsets.UTF_8));
        default -> throw new IllegalStateException("unexpected vector " + v);
      }
    } catch (NumberFormatException e) {
      throw new CliException(
          ExitCode.BAD_INPUT,
          file
              + " record "
              + record
              + ", column '"
              + v.getName()
              + "': '"
              + s
              + "' is not a "
              + v.getField().getType()
              + " (the type given with --schema or inferred from the first "
              + SAMPLE_ROWS
              + " rows)");
    }
  }

  @Override
  public void close() throws IOException {
    try {
      parser.close();
    } finally {
      root.close();
    }
  }
}
