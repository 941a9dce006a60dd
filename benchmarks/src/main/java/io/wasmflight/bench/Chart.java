package io.wasmflight.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Grouped bar charts with Java2D (no dependencies): one panel per workload, groups = batch sizes,
 * bars = configurations, log-scale throughput axis (the interpreter is orders of magnitude below
 * the others), min-max whiskers over the repetitions, the median printed on each bar.
 */
final class Chart {
  /** One bar: median and range; NaN median = not run. */
  record Bar(double median, double min, double max) {
    static final Bar NONE = new Bar(Double.NaN, Double.NaN, Double.NaN);
  }

  /** One workload: bars[group][series]. */
  record Panel(String title, List<String> groups, Bar[][] bars) {}

  static final Color[] COLORS = {
    new Color(0x8c8c8c),
    new Color(0x4e79a7),
    new Color(0xf28e2b),
    new Color(0xe15759),
    new Color(0x59a14f),
    new Color(0xb07aa1)
  };

  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Chart() {}

  static void write(Path file, String title, String yLabel, List<String> series, List<Panel> panels)
      throws IOException {
    int cols = 2;
    int rows = (panels.size() + cols - 1) / cols;
    int pw = 800;
    int ph = 470;
    int top = 110;
    int w = pw * cols;
    int h = top + ph * rows + 20;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 24));
    drawCentered(g, title, w / 2, 36);
    // Legend.
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 18));
    FontMetrics fm = g.getFontMetrics();
    int legendWidth = 0;
    for (String s : series) {
      legendWidth += 22 + 8 + fm.stringWidth(s) + 28;
    }
    int x = (w - legendWidth) / 2;
    for (int i = 0; i < series.size(); i++) {
      g.setColor(COLORS[i % COLORS.length]);
      g.fillRect(x, 62, 22, 22);
      g.setColor(Color.BLACK);
      g.drawString(series.get(i), x + 30, 80);
      x += 22 + 8 + fm.stringWidth(series.get(i)) + 28;
    }
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (Panel p : panels) {
      for (Bar[] group : p.bars()) {
        for (Bar b : group) {
          if (!Double.isNaN(b.median()) && b.median() > 0) {
            lo = Math.min(lo, Double.isNaN(b.min()) ? b.median() : Math.min(b.min(), b.median()));
            hi = Math.max(hi, Double.isNaN(b.max()) ? b.median() : Math.max(b.max(), b.median()));
          }
        }
      }
    }
    if (hi == 0) {
      lo = 0.1;
      hi = 1;
    }
    int decLo = (int) Math.floor(Math.log10(lo));
    int decHi = (int) Math.ceil(Math.log10(hi) + 0.15);
    if (decHi <= decLo) {
      decHi = decLo + 1;
    }
    for (int i = 0; i < panels.size(); i++) {
      drawPanel(
          g,
          panels.get(i),
          (i % cols) * pw,
          top + (i / cols) * ph,
          pw,
          ph,
          decLo,
          decHi,
          yLabel,
          series.size());
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static void drawPanel(
      Graphics2D g,
      Panel p,
      int ox,
      int oy,
      int pw,
      int ph,
      int decLo,
      int decHi,
      String yLabel,
      int nSeries) {
    int left = ox + 95;
    int right = ox + pw - 25;
    int top = oy + 40;
    int bottom = oy + ph - 60;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
    drawCentered(g, p.title(), (left + right) / 2, oy + 24);
    // Grid and y axis (log).
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
    for (int d = decLo; d <= decHi; d++) {
      for (int m = 1; m < 10; m++) {
        double v = m * Math.pow(10, d);
        if (d == decHi && m > 1) {
          break;
        }
        int y = yOf(v, decLo, decHi, top, bottom);
        g.setColor(m == 1 ? new Color(0xc8c8c8) : new Color(0xeeeeee));
        g.drawLine(left, y, right, y);
        if (m == 1) {
          g.setColor(Color.BLACK);
          String label = number(v);
          g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), y + 5);
        }
      }
    }
    g.setColor(Color.BLACK);
    g.drawLine(left, top, left, bottom);
    g.drawLine(left, bottom, right, bottom);
    AffineTransform saved = g.getTransform();
    g.rotate(-Math.PI / 2);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    drawCentered(g, yLabel, -(top + bottom) / 2, ox + 22);
    g.setTransform(saved);
    // Bars.
    int groups = p.groups().size();
    double groupWidth = (right - left) / (double) groups;
    double barWidth = groupWidth * 0.8 / nSeries;
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    for (int gi = 0; gi < groups; gi++) {
      double gx = left + gi * groupWidth + groupWidth * 0.1;
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
      drawCentered(g, p.groups().get(gi), (int) (left + (gi + 0.5) * groupWidth), bottom + 24);
      for (int s = 0; s < nSeries; s++) {
        Bar b = p.bars()[gi][s];
        int bx = (int) (gx + s * barWidth);
        int bw = (int) Math.max(1, barWidth - 4);
        if (Double.isNaN(b.median()) || b.median() <= 0) {
          g.setColor(new Color(0x999999));
          g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 12));
          drawVertical(g, "not run", bx + bw / 2, bottom - 6);
          continue;
        }
        int y = yOf(b.median(), decLo, decHi, top, bottom);
        g.setColor(COLORS[s % COLORS.length]);
        g.fillRect(bx, y, bw, bottom - y);
        if (!Double.isNaN(b.min()) && !Double.isNaN(b.max())) {
          int y1 = yOf(b.min(), decLo, decHi, top, bottom);
          int y2 = yOf(b.max(), decLo, decHi, top, bottom);
          g.setColor(Color.BLACK);
          g.setStroke(new BasicStroke(1.5f));
          int cx = bx + bw / 2;
          g.drawLine(cx, y1, cx, y2);
          g.drawLine(cx - 4, y1, cx + 4, y1);
          g.drawLine(cx - 4, y2, cx + 4, y2);
          y = Math.min(y, y2);
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        drawVertical(g, number(b.median()), bx + bw / 2, y - 4);
      }
    }
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
    drawCentered(g, "rows per batch", (left + right) / 2, bottom + 48);
  }

  private static int yOf(double v, int decLo, int decHi, int top, int bottom) {
    double f = (Math.log10(v) - decLo) / (decHi - decLo);
    return (int) Math.round(bottom - f * (bottom - top));
  }

  private static void drawCentered(Graphics2D g, String s, int cx, int baseline) {
    g.drawString(s, cx - g.getFontMetrics().stringWidth(s) / 2, baseline);
  }

  /** Text reading bottom-up, ending just above {@code (cx, y)}. */
  private static void drawVertical(Graphics2D g, String s, int cx, int y) {
    AffineTransform saved = g.getTransform();
    g.translate(cx + g.getFontMetrics().getAscent() / 2 - 2, y);
    g.rotate(-Math.PI / 2);
    g.drawString(s, 0, 0);
    g.setTransform(saved);
  }

  /** 3 significant digits, no exponent for the usual range. */
  static String number(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (v >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    if (v >= 0.01) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
    return String.format(Locale.ROOT, "%.2g", v);
  }

  static List<String> list(String... s) {
    return new ArrayList<>(List.of(s));
  }
}
