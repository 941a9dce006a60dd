package io.wasmflight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code call} with add_one over every input and output format, and its failures. */
class CallTest {
  static CliRun server;
  @TempDir Path dir;

  @BeforeAll
  static void start() {
    server = CliRun.start();
    CliRun.Result r = server.cli("register", "add_one", CliRun.example("add_one").toString());
    assertEquals(0, r.exitCode(), r.toString());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** Writes x = 0..rows-1 as int64, every 10th null, in the format of the file's extension. */
  static void writeInput(Path file, int rows, BufferAllocator allocator) throws IOException {
    Schema schema = new Schema(List.of(Field.nullable("x", Columns.INT64)));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        BatchSink sink =
            FileFormat.of(file)
                .create(file, root, new DictionaryProvider.MapDictionaryProvider())) {
      int batch = 100_000;
      for (int start = 0; start < rows; start += batch) {
        int n = Math.min(batch, rows - start);
        root.clear();
        BigIntVector x = (BigIntVector) root.getVector(0);
        x.allocateNew(n);
        for (int i = 0; i < n; i++) {
          if ((start + i) % 10 == 0) {
            x.setNull(i);
          } else {
            x.set(i, start + i);
          }
        }
        root.setRowCount(n);
        sink.write();
      }
    }
  }

  /** Reads the file back and checks x = input + 1 with the input's nulls; returns the row count. */
  static long checkOutput(Path file, BufferAllocator allocator) throws IOException {
    long row = 0;
    try (BatchSource source = FileFormat.of(file).open(file, allocator, 65_536)) {
      assertEquals("x", source.root().getSchema().getFields().get(0).getName());
      while (source.next()) {
        BigIntVector x = (BigIntVector) source.root().getVector(0);
        for (int i = 0; i < source.root().getRowCount(); i++, row++) {
          if (row % 10 == 0) {
            assertTrue(x.isNull(i), "row " + row + " should be null");
          } else {
            assertEquals(row + 1, x.get(i), "row " + row);
          }
        }
      }
    }
    return row;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "in.arrow, out.arrow",
    "in.arrows, out.arrows",
    "in.csv, out.csv",
    "in.parquet, out.parquet",
    "in.csv, out.parquet",
    "in.parquet, out.arrow",
    "in.arrow, out.csv"
  })
  void addOneRoundTrips(String in, String out) throws Exception {
    Path input = dir.resolve(in);
    Path output = dir.resolve(out);
    writeInput(input, 250_000, server.allocator);
    CliRun.Result r =
        server.cli("call", "add_one/add_one", "--in", input.toString(), "--out", output.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("add_one/add_one: 250,000 rows in ("), r.toString());
    assertTrue(r.err().contains("250,000 rows out"), r.toString());
    assertFalse(r.err().contains("\r"), "no live line when stderr is not a terminal");
    assertEquals(250_000, checkOutput(output, server.allocator));
  }

  @Test
  void aMillionRowParquetFileStreamsThrough() throws Exception {
    Path input = dir.resolve("million.parquet");
    Path output = dir.resolve("million-out.parquet");
    writeInput(input, 1_000_000, server.allocator);
    CliRun.Result r =
        server.cli(
            "call",
            "add_one/add_one",
            "--in",
            input.toString(),
            "--out",
            output.toString(),
            "--engine",
            "aot");
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.err().contains("1,000,000 rows in"), r.toString());
    assertEquals(1_000_000, checkOutput(output, server.allocator));
    System.out.println("1M-row Parquet call: " + r.err().strip());
  }

  @Test
  void aTerminalGetsALiveLine() throws Exception {
    Path input = dir.resolve("in.arrow");
    writeInput(input, 10, server.allocator);
    System.setProperty("wasmflight.stderr.tty", "1");
    CliRun.Result r;
    try {
      r =
          server.cli(
              "call", "add_one/add_one", "--in", input.toString(), "--out", dir + "/o.arrow");
    } finally {
      System.clearProperty("wasmflight.stderr.tty");
    }
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.err().startsWith("\r") && r.err().endsWith("\u001b[K\n"), r.toString());
    CliRun.Result quiet =
        server.cli(
            "call", "add_one/add_one", "--in", input.toString(), "--out", dir + "/q.arrow", "-q");
    assertEquals("", quiet.err());
  }

  @Test
  void failuresHaveTheirExitCodesAndLeaveNoOutput() throws Exception {
    Path input = dir.resolve("in.arrow");
    writeInput(input, 100, server.allocator);
    Path out = dir.resolve("out.arrow");

    CliRun.Result noFunction =
        server.cli("call", "add_one/nope", "--in", input.toString(), "--out", out.toString());
    assertEquals(3, noFunction.exitCode(), noFunction.toString());
    assertTrue(noFunction.err().contains("has no function 'nope'"), noFunction.toString());
    assertFalse(Files.exists(out));

    assertEquals(
        3,
        server
            .cli("call", "add_one/add_one", "--in", dir + "/none.arrow", "--out", out.toString())
            .exitCode());
    assertEquals(
        2, server.cli("call", "add_one", "--in", input.toString(), "--out", "o.arrow").exitCode());
    assertEquals(
        2,
        server
            .cli("call", "add_one/add_one", "--in", input.toString(), "--out", "o.txt")
            .exitCode());
    CliRun.Result tooHigh =
        server.cli(
            "call",
            "add_one/add_one",
            "--in",
            input.toString(),
            "--out",
            out.toString(),
            "--limit",
            "max_memory_pages=99999");
    assertEquals(2, tooHigh.exitCode(), tooHigh.toString());

    CliRun.Result tooLow =
        server.cli(
            "call",
            "add_one/add_one",
            "--in",
            input.toString(),
            "--out",
            out.toString(),
            "--limit",
            "max_memory_pages=1");
    assertEquals(6, tooLow.exitCode(), tooLow.toString());
    assertTrue(tooLow.err().contains("limit exceeded"), tooLow.toString());
    assertFalse(Files.exists(out), "a failed call deletes its output");

    Path strings = dir.resolve("strings.csv");
    Files.writeString(strings, "s\nabc\ndef\n");
    CliRun.Result refused =
        server.cli("call", "add_one/add_one", "--in", strings.toString(), "--out", out.toString());
    assertEquals(5, refused.exitCode(), refused.toString());
    assertTrue(refused.err().contains("input rejected by guest"), refused.toString());

    StringBuilder csv = new StringBuilder("x\n");
    for (int i = 0; i < io.wasmflight.cli.CsvSource.SAMPLE_ROWS + 5; i++) {
      csv.append(i).append('\n');
    }
    csv.append("not-a-number\n");
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, csv);
    CliRun.Result badInput =
        server.cli("call", "add_one/add_one", "--in", bad.toString(), "--out", out.toString());
    assertEquals(4, badInput.exitCode(), badInput.toString());
    assertTrue(
        badInput.err().contains("'not-a-number' is not a Int(64, true)"), badInput.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void csvTypesAreInferred() throws Exception {
    Path in = dir.resolve("typed.csv");
    Files.writeString(in, "n,f,b,s\n1,1.5,true,a\n,2,false,\n3,x,true,c\n");
    try (BatchSource source = FileFormat.CSV.open(in, server.allocator, 10)) {
      Schema schema = source.root().getSchema();
      assertEquals(
          List.of(Columns.INT64, Columns.UTF8, Columns.BOOL, Columns.UTF8),
          schema.getFields().stream().map(Field::getType).toList());
      assertTrue(source.next());
      assertTrue(source.root().getVector("n").isNull(1));
      assertEquals("c", ((VarCharVector) source.root().getVector("s")).getObject(2).toString());
    }
    try (BatchSource source =
        FileFormat.CSV.open(
            in, server.allocator, 10, java.util.Map.of("n", Columns.FLOAT32, "b", Columns.UTF8))) {
      assertEquals(
          List.of(Columns.FLOAT32, Columns.UTF8, Columns.UTF8, Columns.UTF8),
          source.root().getSchema().getFields().stream().map(Field::getType).toList());
      assertTrue(source.next());
      assertEquals("true", source.root().getVector("b").getObject(0).toString());
    }
  }

  @Test
  void schemaOverridesCsvInference() throws Exception {
    Path in = dir.resolve("ints.csv");
    Files.writeString(in, "x\n1\n2\n");
    Path out = dir.resolve("ints-out.csv");
    String[] base = {"add_one/add_one", "--in", in.toString(), "--out", out.toString()};
    CliRun.Result asInt64 = server.cli("call", concat(base, "--schema", "x:int64"));
    assertEquals(0, asInt64.exitCode(), asInt64.toString());
    assertEquals("x\n2\n3\n", Files.readString(out));
    CliRun.Result asText = server.cli("call", concat(base, "--schema", "x:utf8"));
    assertEquals(5, asText.exitCode(), "add_one refuses a utf8 column: " + asText);
    assertEquals(2, server.cli("call", concat(base, "--schema", "y:int64")).exitCode());
    assertEquals(2, server.cli("call", concat(base, "--schema", "x:decimal")).exitCode());
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
