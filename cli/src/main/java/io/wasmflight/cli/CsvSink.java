package io.wasmflight.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** Writes batches as CSV with a header row (Apache Commons CSV); a null is an empty field. */
final class CsvSink implements BatchSink {
  private final VectorSchemaRoot root;
  private final CSVPrinter printer;

  CsvSink(Path file, VectorSchemaRoot root) throws IOException {
    this.root = root;
    for (Field f : root.getSchema().getFields()) {
      Columns.requireSupported(f, "CSV");
    }
    String[] header =
        root.getSchema().getFields().stream().map(Field::getName).toArray(String[]::new);
    printer =
        CSVFormat.DEFAULT
            .builder()
            .setHeader(header)
            .setRecordSeparator('\n')
            .get()
            .print(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  @Override
  public void write() throws IOException {
    List<FieldVector> vectors = root.getFieldVectors();
    Object[] values = new Object[vectors.size()];
    for (int row = 0; row < root.getRowCount(); row++) {
      for (int c = 0; c < values.length; c++) {
        values[c] = Columns.text(vectors.get(c), row);
      }
      printer.printRecord(values);
    }
  }

  @Override
  public void close() throws IOException {
    printer.close(true);
  }
}
