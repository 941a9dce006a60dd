package io.wasmflight.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} and {@code --flag} command-line arguments. */
final class Args {
  private final Map<String, String> values = new HashMap<>();

  Args(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + a);
      }
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        values.put(a, args[++i]);
      } else {
        values.put(a, "true");
      }
    }
  }

  String require(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return v;
  }

  String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  boolean flag(String name) {
    return values.containsKey(name);
  }

  int intValue(String name, int fallback) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
  }

  long longValue(String name, long fallback) {
    return values.containsKey(name) ? Long.parseLong(values.get(name)) : fallback;
  }

  double doubleValue(String name, double fallback) {
    return values.containsKey(name) ? Double.parseDouble(values.get(name)) : fallback;
  }

  /** A comma-separated list of ints ({@code 1024,65536}); {@code K}/{@code M} suffixes allowed. */
  List<Integer> ints(String name, String fallback) {
    List<Integer> out = new ArrayList<>();
    for (String s : get(name, fallback).split(",")) {
      s = s.trim();
      int mult = 1;
      if (s.endsWith("K")) {
        mult = 1024;
        s = s.substring(0, s.length() - 1);
      } else if (s.endsWith("M")) {
        mult = 1024 * 1024;
        s = s.substring(0, s.length() - 1);
      }
      out.add(Integer.parseInt(s) * mult);
    }
    return out;
  }

  List<String> strings(String name, String fallback) {
    List<String> out = new ArrayList<>();
    for (String s : get(name, fallback).split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }
}
