//! The `export_functions!` entry point and the compile-time checks its expansion runs.

use crate::function::OutputField;

/// Exports functions to the host. Invoke it once, in the module's crate root; each line is one
/// function: `kind name => implementation, options;`.
///
/// ```
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn add_one(input: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(input.num_rows())) }
/// # use add_one as scale;
/// # use add_one as line_total;
/// # use add_one as gcd;
/// # fn scale_init(options: &str) -> Result<()> { Ok(()) }
/// # fn positive(input: &Batch) -> Result<Selection> { Ok(Selection::all(input.num_rows())) }
/// # fn split_words(input: &Batch, out: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn totals(out: &mut Emitter) -> Result<()> { Ok(()) }
/// # use split_words as running;
/// # struct WordCount;
/// # impl Aggregate for WordCount {
/// #     fn new() -> Result<Self> { Ok(WordCount) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! {
///     // map: fn add_one(input: &Batch) -> Result<OutputBatch>, as many rows as the input
///     map add_one => add_one;
///     // fn scale_init(options_json: &str) -> Result<()>, called once per session
///     map scale => scale, init scale_init;
///     // A fixed output schema, declared in the catalog: "name": type [nullable]
///     map line_total => line_total, output ["total": float64 nullable, "id": int64];
///     // The input it takes, same form; the host refuses any other before the guest runs
///     map gcd => gcd, input ["a": int32 nullable, "b": int32 nullable],
///         output ["gcd": int32 nullable];
///     // filter: fn positive(input: &Batch) -> Result<Selection>
///     filter positive => positive;
///     // table: fn split_words(input: &Batch, out: &mut Emitter) -> Result<()>
///     table split_words => split_words, row_index "row",
///         output ["row": int32, "word": utf8 nullable];
///     // finish: fn totals(out: &mut Emitter) -> Result<()>, after the last input batch
///     table running => running, finish totals;
///     // aggregate: a type that implements `Aggregate` (new, update, finish)
///     aggregate word_count => WordCount, output ["word": utf8, "count": int64];
/// }
/// # fn main() {
/// assert!(WF_CATALOG.contains(r#"{"name":"scale","kind":"map","export":"wf_fn_scale","init":"wf_init_scale"}"#));
/// assert!(WF_CATALOG.contains(concat!(
///     r#"{"name":"word_count","kind":"aggregate","export":"wf_fn_word_count","#,
///     r#""finish":"wf_finish_word_count","output":[{"name":"word","format":"u","nullable":false},"#,
///     r#"{"name":"count","format":"l","nullable":false}]}"#
/// )));
/// assert!(WF_CATALOG.contains(concat!(
///     r#"{"name":"gcd","kind":"map","export":"wf_fn_gcd","#,
///     r#""input":[{"name":"a","format":"i","nullable":true},"#,
///     r#"{"name":"b","format":"i","nullable":true}],"#,
///     r#""output":[{"name":"gcd","format":"i","nullable":true}]}"#
/// )));
/// assert_eq!(WF_FUNCTIONS.len(), 8);
/// # }
/// ```
///
/// - The name (left of `=>`) is what clients call; it must match `[A-Za-z_][A-Za-z0-9_]{0,63}`
///   (checked at compile time). The main export is `wf_fn_<name>`.
/// - Kinds (ABI §6): `map` (`fn(&Batch) -> Result<OutputBatch>`), `filter`
///   (`fn(&Batch) -> Result<Selection>`), `table` (`fn(&Batch, &mut Emitter) -> Result<()>`),
///   `aggregate` (a type implementing [`Aggregate`](crate::Aggregate); exports `wf_fn_<name>`
///   for its update and `wf_finish_<name>`).
/// - Options, in any order, each at most once: `init f` (every kind; `fn f(&str) ->
///   Result<()>`, export `wf_init_<name>`), `input [...]` (every kind: the input columns the
///   function takes, in order; the host refuses an input whose count, order, names or types
///   differ, or with nulls in a column declared without `nullable`, before the function
///   runs), `output [...]` (every kind), `finish f` (`table`
///   only; `fn f(&mut Emitter) -> Result<()>`, export `wf_finish_<name>`), `row_index "col"`
///   (`table` only, not with `finish`: the output column, int32 and not nullable, holding each
///   output row's input row; when `output` is declared it must list it so).
/// - Input and output types are `int8`, `uint8`, `int16`, `uint16`, `int32`, `uint32`,
///   `int64`, `uint64`, `float32`, `float64`, `bool`, `utf8` and `binary`, followed by
///   `nullable` when the column is (unlike the ABI's default, a column is not nullable unless
///   it says so). The host checks every output batch against a declared output, nullability
///   included; so does the SDK for table and aggregate output
///   ([`Emitter::emit`](crate::Emitter::emit)).
/// - It generates `wf_catalog` and two constants: `WF_CATALOG`, the catalog JSON (keys in the
///   order `name`, `kind`, `export`, `init`, `finish`, `row_index`, `input`, `output`), and
///   `WF_FUNCTIONS`, the functions with their entry points for native tests with
///   [`Session`](crate::Session).
///
/// An `Err` from a function becomes its status and the message of `wf_last_error`.
#[macro_export]
macro_rules! export_functions {
    ($($functions:tt)+) => {
        $crate::__wf!(@parse [] $($functions)+);
    };
}

/// Helpers of `export_functions!`. Each function line is parsed into one group
/// `{kind name (implementation) [init] [finish] [row_index] [input] [output]}`, then generated.
///
/// What the ABI refuses at registration is refused at compile time. With these functions, the
/// options in any order compile:
///
/// ```
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! {
///     map m => m, output ["x": int64], init i, input ["x": int64 nullable];
///     filter p => p, input ["x": int64], init i;
///     table f => f, output ["row": int32, "w": utf8 nullable], init i, row_index "row",
///         input ["line": utf8 nullable];
///     table t => f, input ["line": utf8], finish g, init i;
///     aggregate a => A, init i, input ["w": utf8, "n": int64 nullable], output ["x": int64];
/// }
/// # fn main() {}
/// ```
///
/// and these do not:
///
/// - `row_index` and `finish` together:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { table t => f, row_index "row", finish g; }
/// # fn main() {}
/// ```
///
/// - a map function with `finish`:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, finish g; }
/// # fn main() {}
/// ```
///
/// - a filter function with `row_index`:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { filter p => p, row_index "row"; }
/// # fn main() {}
/// ```
///
/// - an aggregate with `finish` (it has `Aggregate::finish`):
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { aggregate a => A, finish g; }
/// # fn main() {}
/// ```
///
/// - an option given twice:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, init i, init i; }
/// # fn main() {}
/// ```
///
/// - an unknown option:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, output_schema ["x": int64]; }
/// # fn main() {}
/// ```
///
/// - an unknown kind:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { scalar m => m; }
/// # fn main() {}
/// ```
///
/// - an unknown output type:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, output ["x": int128]; }
/// # fn main() {}
/// ```
///
/// - an unknown input type:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, input ["x": int128]; }
/// # fn main() {}
/// ```
///
/// - `input` given twice:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, input ["x": int64], input ["y": int64]; }
/// # fn main() {}
/// ```
///
/// - an input column name with a backslash:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { table t => f, input ["a\\b": utf8]; }
/// # fn main() {}
/// ```
///
/// - an input without columns:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, input []; }
/// # fn main() {}
/// ```
///
/// - a row_index column that the declared output lacks:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { table t => f, row_index "row", output ["word": utf8]; }
/// # fn main() {}
/// ```
///
/// - a row_index column declared nullable:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { table t => f, row_index "row", output ["row": int32 nullable]; }
/// # fn main() {}
/// ```
///
/// - a row_index column of another type:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { table t => f, row_index "row", output ["row": int64]; }
/// # fn main() {}
/// ```
///
/// - a function name longer than 64 characters:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx => m; }
/// # fn main() {}
/// ```
///
/// - an output column name with a quote:
///
/// ```compile_fail
/// # use wasm_flight_guest::{Aggregate, Batch, Emitter, OutputBatch, Result, Selection};
/// # fn m(i: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(i.num_rows())) }
/// # fn p(i: &Batch) -> Result<Selection> { Ok(Selection::all(i.num_rows())) }
/// # fn f(_: &Batch, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn g(_: &mut Emitter) -> Result<()> { Ok(()) }
/// # fn i(_: &str) -> Result<()> { Ok(()) }
/// # struct A;
/// # impl Aggregate for A {
/// #     fn new() -> Result<Self> { Ok(A) }
/// #     fn update(&mut self, _: &Batch) -> Result<()> { Ok(()) }
/// #     fn finish(self, _: &mut Emitter) -> Result<()> { Ok(()) }
/// # }
/// wasm_flight_guest::export_functions! { map m => m, output ["a\"b": int64]; }
/// # fn main() {}
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __wf {
    // ---- Parsing
    (@parse [$($done:tt)+]) => {
        $crate::__wf!(@generate $($done)+);
    };
    (@parse [$($done:tt)*] $kind:ident $name:ident => $func:path ; $($rest:tt)*) => {
        $crate::__wf!(@parse [$($done)* {$kind $name ($func) [] [] [] [] []}] $($rest)*);
    };
    (@parse [$($done:tt)*] $kind:ident $name:ident => $func:path , $($rest:tt)*) => {
        $crate::__wf!(@option [$($done)*] {$kind $name ($func) [] [] [] [] []} $($rest)*);
    };
    (@parse [$($done:tt)*] $($rest:tt)+) => {
        compile_error!(concat!(
            "export_functions!: expected `kind name => function, options...;` at `",
            stringify!($($rest)+),
            "`"
        ));
    };
    (@option $done:tt {$k:ident $n:ident $f:tt [] $fi:tt $ri:tt $in:tt $o:tt} init $init:path , $($rest:tt)*) => {
        $crate::__wf!(@option $done {$k $n $f [$init] $fi $ri $in $o} $($rest)*);
    };
    (@option [$($done:tt)*] {$k:ident $n:ident $f:tt [] $fi:tt $ri:tt $in:tt $o:tt} init $init:path ; $($rest:tt)*) => {
        $crate::__wf!(@parse [$($done)* {$k $n $f [$init] $fi $ri $in $o}] $($rest)*);
    };
    (@option $done:tt {$k:ident $n:ident $f:tt $i:tt [] $ri:tt $in:tt $o:tt} finish $finish:path , $($rest:tt)*) => {
        $crate::__wf!(@option $done {$k $n $f $i [$finish] $ri $in $o} $($rest)*);
    };
    (@option [$($done:tt)*] {$k:ident $n:ident $f:tt $i:tt [] $ri:tt $in:tt $o:tt} finish $finish:path ; $($rest:tt)*) => {
        $crate::__wf!(@parse [$($done)* {$k $n $f $i [$finish] $ri $in $o}] $($rest)*);
    };
    (@option $done:tt {$k:ident $n:ident $f:tt $i:tt $fi:tt [] $in:tt $o:tt} row_index $ri:literal $($rest:tt)*) => {
        $crate::__wf!(@next $done {$k $n $f $i $fi [$ri] $in $o} $($rest)*);
    };
    (@option $done:tt {$k:ident $n:ident $f:tt $i:tt $fi:tt $ri:tt [] $o:tt} input [$($inp:tt)*] $($rest:tt)*) => {
        $crate::__wf!(@next $done {$k $n $f $i $fi $ri [[$($inp)*]] $o} $($rest)*);
    };
    (@option $done:tt {$k:ident $n:ident $f:tt $i:tt $fi:tt $ri:tt $in:tt []} output [$($out:tt)*] $($rest:tt)*) => {
        $crate::__wf!(@next $done {$k $n $f $i $fi $ri $in [[$($out)*]]} $($rest)*);
    };
    (@option $done:tt {$k:ident $n:ident $($state:tt)*} $key:tt $($rest:tt)*) => {
        compile_error!(concat!(
            "export_functions!: function `", stringify!($n), "`: at `", stringify!($key),
            "`: expected one of `init f`, `finish f`, `row_index \"column\"`, `input [...]`, ",
            "`output [...]`, each at most once"
        ));
    };
    (@next $done:tt $state:tt , $($rest:tt)*) => {
        $crate::__wf!(@option $done $state $($rest)*);
    };
    (@next [$($done:tt)*] $state:tt ; $($rest:tt)*) => {
        $crate::__wf!(@parse [$($done)* $state] $($rest)*);
    };
    (@next $done:tt {$k:ident $n:ident $($state:tt)*} $($rest:tt)*) => {
        compile_error!(concat!(
            "export_functions!: function `", stringify!($n), "`: expected `,` or `;` at `",
            stringify!($($rest)*), "`"
        ));
    };

    // ---- Generating
    (@generate $($function:tt)+) => {
        /// The function catalog this module reports through `wf_catalog` (ABI §4).
        pub const WF_CATALOG: &str =
            concat!("{\"functions\":[", $crate::__wf!(@catalog $($function)+), "]}");

        /// The exported functions with their entry points, for native tests with
        /// `wasm_flight_guest::Session`.
        pub const WF_FUNCTIONS: &[$crate::Function] = &[$($crate::__wf!(@function $function)),+];

        #[no_mangle]
        extern "C" fn wf_catalog() -> u64 {
            $crate::__private::abi_str(WF_CATALOG)
        }
    };
    (@catalog $first:tt $($rest:tt)*) => {
        concat!($crate::__wf!(@json $first) $(, ",", $crate::__wf!(@json $rest))*)
    };
    (@json {$kind:ident $name:ident $f:tt [$($init:tt)*] [$($finish:tt)*] [$($ri:literal)?]
            [$([$($in:tt)*])?] [$([$($out:tt)*])?]}) => {
        concat!(
            "{\"name\":\"", stringify!($name),
            "\",\"kind\":\"", stringify!($kind),
            "\",\"export\":\"wf_fn_", stringify!($name), "\"",
            $crate::__wf!(@init_key $name [$($init)*]),
            $crate::__wf!(@finish_key $kind $name [$($finish)*]),
            $(",\"row_index\":\"", $ri, "\"",)?
            $(",\"input\":[", $crate::__wf!(@fields $($in)*), "]",)?
            $(",\"output\":[", $crate::__wf!(@fields $($out)*), "]",)?
            "}"
        )
    };
    (@init_key $name:ident []) => { "" };
    (@init_key $name:ident [$($init:tt)+]) => {
        concat!(",\"init\":\"wf_init_", stringify!($name), "\"")
    };
    (@finish_key aggregate $name:ident $finish:tt) => {
        concat!(",\"finish\":\"wf_finish_", stringify!($name), "\"")
    };
    (@finish_key $kind:ident $name:ident []) => { "" };
    (@finish_key $kind:ident $name:ident [$($finish:tt)+]) => {
        concat!(",\"finish\":\"wf_finish_", stringify!($name), "\"")
    };

    (@function {map $name:ident ($func:path) [$($init:path)?] [] [] [$([$($in:tt)*])?] [$([$($out:tt)*])?]}) => {{
        $crate::__wf!(@check $name [] [$([$($in)*])?] [$([$($out)*])?]);
        const INPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($in)*])?);
        const OUTPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($out)*])?);

        #[export_name = concat!("wf_fn_", stringify!($name))]
        extern "C" fn call(
            in_schema: usize,
            in_array: usize,
            out_schema: usize,
            out_array: usize,
        ) -> i32 {
            $crate::__private::map_entry(in_schema, in_array, out_schema, out_array, $func)
        }

        $(
            #[export_name = concat!("wf_init_", stringify!($name))]
            extern "C" fn init(options: usize, len: usize) -> i32 {
                $crate::__private::init_entry(options, len, $init)
            }
        )?

        fn reset() {}

        $crate::Function::from_parts($crate::__private::FunctionParts {
            name: stringify!($name),
            kind: $crate::FunctionKind::Map,
            batch: Some(call as $crate::__private::BatchEntry),
            update: None,
            init: $crate::__wf!(@entry [$($init)?] init),
            finish: None,
            input: INPUT,
            output: OUTPUT,
            row_index: None,
            reset,
        })
    }};
    (@function {filter $name:ident ($func:path) [$($init:path)?] [] [] [$([$($in:tt)*])?] [$([$($out:tt)*])?]}) => {{
        $crate::__wf!(@check $name [] [$([$($in)*])?] [$([$($out)*])?]);
        const INPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($in)*])?);
        const OUTPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($out)*])?);

        #[export_name = concat!("wf_fn_", stringify!($name))]
        extern "C" fn call(
            in_schema: usize,
            in_array: usize,
            out_schema: usize,
            out_array: usize,
        ) -> i32 {
            $crate::__private::filter_entry(in_schema, in_array, out_schema, out_array, $func)
        }

        $(
            #[export_name = concat!("wf_init_", stringify!($name))]
            extern "C" fn init(options: usize, len: usize) -> i32 {
                $crate::__private::init_entry(options, len, $init)
            }
        )?

        fn reset() {}

        $crate::Function::from_parts($crate::__private::FunctionParts {
            name: stringify!($name),
            kind: $crate::FunctionKind::Filter,
            batch: Some(call as $crate::__private::BatchEntry),
            update: None,
            init: $crate::__wf!(@entry [$($init)?] init),
            finish: None,
            input: INPUT,
            output: OUTPUT,
            row_index: None,
            reset,
        })
    }};
    (@function {table $name:ident $f:tt $i:tt [$($finish:tt)+] [$($ri:tt)+] $in:tt $o:tt}) => {
        compile_error!(concat!(
            "export_functions!: table function `", stringify!($name),
            "`: `row_index` and `finish` cannot go together (ABI §4)"
        ))
    };
    (@function {table $name:ident ($func:path) [$($init:path)?] [$($finish:path)?]
                [$($ri:literal)?] [$([$($in:tt)*])?] [$([$($out:tt)*])?]}) => {{
        $crate::__wf!(@check $name [$($ri)?] [$([$($in)*])?] [$([$($out)*])?]);
        const INPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($in)*])?);
        const OUTPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($out)*])?);
        const ROW_INDEX: Option<&str> = $crate::__wf!(@some $($ri)?);
        const _: () = assert!(
            $crate::__private::row_index_declared(OUTPUT, ROW_INDEX),
            concat!(
                "table function `", stringify!($name),
                "`: the row_index column must be in the declared output, as int32 (not nullable)"
            ),
        );

        thread_local! {
            static STATE: $crate::__private::State<()> =
                const { $crate::__private::State::new() };
        }

        #[export_name = concat!("wf_fn_", stringify!($name))]
        extern "C" fn call(
            in_schema: usize,
            in_array: usize,
            out_schema: usize,
            out_array: usize,
        ) -> i32 {
            $crate::__private::table_entry(
                &STATE, OUTPUT, ROW_INDEX, $func, in_schema, in_array, out_schema, out_array,
            )
        }

        $(
            #[export_name = concat!("wf_finish_", stringify!($name))]
            extern "C" fn finish(out_schema: usize, out_array: usize) -> i32 {
                $crate::__private::table_finish_entry(&STATE, OUTPUT, $finish, out_schema, out_array)
            }
        )?

        $(
            #[export_name = concat!("wf_init_", stringify!($name))]
            extern "C" fn init(options: usize, len: usize) -> i32 {
                $crate::__private::init_entry(options, len, $init)
            }
        )?

        fn reset() {
            STATE.with($crate::__private::State::reset)
        }

        $crate::Function::from_parts($crate::__private::FunctionParts {
            name: stringify!($name),
            kind: $crate::FunctionKind::Table,
            batch: Some(call as $crate::__private::BatchEntry),
            update: None,
            init: $crate::__wf!(@entry [$($init)?] init),
            finish: $crate::__wf!(@entry [$($finish)?] finish),
            input: INPUT,
            output: OUTPUT,
            row_index: ROW_INDEX,
            reset,
        })
    }};
    (@function {aggregate $name:ident ($state:path) [$($init:path)?] [] [] [$([$($in:tt)*])?] [$([$($out:tt)*])?]}) => {{
        $crate::__wf!(@check $name [] [$([$($in)*])?] [$([$($out)*])?]);
        const INPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($in)*])?);
        const OUTPUT: Option<&[$crate::__private::OutputField]> =
            $crate::__wf!(@output $([$($out)*])?);

        thread_local! {
            static STATE: $crate::__private::State<$state> =
                const { $crate::__private::State::new() };
        }

        #[export_name = concat!("wf_fn_", stringify!($name))]
        extern "C" fn update(in_schema: usize, in_array: usize) -> i32 {
            $crate::__private::aggregate_update_entry::<$state>(&STATE, in_schema, in_array)
        }

        #[export_name = concat!("wf_finish_", stringify!($name))]
        extern "C" fn finish(out_schema: usize, out_array: usize) -> i32 {
            $crate::__private::aggregate_finish_entry::<$state>(&STATE, OUTPUT, out_schema, out_array)
        }

        $(
            #[export_name = concat!("wf_init_", stringify!($name))]
            extern "C" fn init(options: usize, len: usize) -> i32 {
                $crate::__private::init_entry(options, len, $init)
            }
        )?

        fn reset() {
            STATE.with($crate::__private::State::reset)
        }

        $crate::Function::from_parts($crate::__private::FunctionParts {
            name: stringify!($name),
            kind: $crate::FunctionKind::Aggregate,
            batch: None,
            update: Some(update as $crate::__private::PairEntry),
            init: $crate::__wf!(@entry [$($init)?] init),
            finish: Some(finish as $crate::__private::PairEntry),
            input: INPUT,
            output: OUTPUT,
            row_index: None,
            reset,
        })
    }};
    (@function {map $name:ident $($rest:tt)*}) => {
        compile_error!(concat!(
            "export_functions!: map function `", stringify!($name),
            "` takes the options `init` and `output` only"
        ))
    };
    (@function {filter $name:ident $($rest:tt)*}) => {
        compile_error!(concat!(
            "export_functions!: filter function `", stringify!($name),
            "` takes the options `init` and `output` only"
        ))
    };
    (@function {aggregate $name:ident $($rest:tt)*}) => {
        compile_error!(concat!(
            "export_functions!: aggregate `", stringify!($name),
            "` takes the options `init` and `output` only (its finish is `Aggregate::finish`)"
        ))
    };
    (@function {$kind:ident $name:ident $($rest:tt)*}) => {
        compile_error!(concat!(
            "export_functions!: function `", stringify!($name), "` has the unknown kind `",
            stringify!($kind), "` (map, filter, table, aggregate)"
        ))
    };
    (@entry [] $entry:ident) => { None };
    (@entry [$($given:tt)+] $entry:ident) => { Some($entry as $crate::__private::PairEntry) };
    (@some) => { None };
    (@some $value:literal) => { Some($value) };

    // ---- Compile-time checks and the declared output
    (@check $name:ident [$($ri:literal)?] [$([$($in:tt)*])?] [$([$($out:tt)*])?]) => {
        const _: () = {
            assert!(
                $crate::__private::valid_name(stringify!($name)),
                concat!("invalid function name '", stringify!($name), "'"),
            );
            $(assert!(
                $crate::__private::valid_column_name($ri),
                concat!("row_index column name ", stringify!($ri), " has a '\"', '\\' or control character"),
            );)?
            $($crate::__wf!(@check_columns "input" $($in)*);)?
            $($crate::__wf!(@check_columns "output" $($out)*);)?
        };
    };
    (@output) => { None };
    (@output [$($col:literal : $type:ident $($nullable:ident)?),+]) => {
        Some(&[$($crate::__private::OutputField {
            name: $col,
            format: $crate::__wf!(@format $type),
            nullable: $crate::__wf!(@nullable_bool $($nullable)?),
        }),+])
    };
    (@fields $col:literal : $type:ident $($nullable:ident)?) => {
        concat!(
            "{\"name\":\"", $col,
            "\",\"format\":\"", $crate::__wf!(@format $type),
            "\",\"nullable\":", $crate::__wf!(@nullable $($nullable)?),
            "}"
        )
    };
    (@fields $col:literal : $type:ident $($nullable:ident)?, $($rest:tt)+) => {
        concat!(
            $crate::__wf!(@fields $col : $type $($nullable)?),
            ",",
            $crate::__wf!(@fields $($rest)+)
        )
    };
    (@check_columns $what:literal $($col:literal : $type:ident $($nullable:ident)?),+) => {
        $(assert!(
            $crate::__private::valid_column_name($col),
            concat!($what, " column name ", stringify!($col), " has a '\"', '\\' or control character"),
        );)+
    };
    (@nullable) => { "false" };
    (@nullable nullable) => { "true" };
    (@nullable_bool) => { false };
    (@nullable_bool nullable) => { true };
    (@format int8) => { "c" };
    (@format uint8) => { "C" };
    (@format int16) => { "s" };
    (@format uint16) => { "S" };
    (@format int32) => { "i" };
    (@format uint32) => { "I" };
    (@format int64) => { "l" };
    (@format uint64) => { "L" };
    (@format float32) => { "f" };
    (@format float64) => { "g" };
    (@format bool) => { "b" };
    (@format utf8) => { "u" };
    (@format binary) => { "z" };
}

/// `[A-Za-z_][A-Za-z0-9_]{0,63}` (ABI §4).
pub const fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > 64 || b[0].is_ascii_digit() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

/// A name that can be put between JSON quotes as is (and into a C string).
pub const fn valid_column_name(name: &str) -> bool {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] < 0x20 || b[i] == b'"' || b[i] == b'\\' {
            return false;
        }
        i += 1;
    }
    true
}

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `true` unless both are given and the row_index column is not in the output as int32, not
/// nullable (ABI §4).
pub const fn row_index_declared(output: Option<&[OutputField]>, row_index: Option<&str>) -> bool {
    let (output, column) = match (output, row_index) {
        (Some(output), Some(column)) => (output, column),
        _ => return true,
    };
    let mut i = 0;
    while i < output.len() {
        if same_str(output[i].name, column) {
            return same_str(output[i].format, "i") && !output[i].nullable;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
#[allow(unsafe_code)] // the exports are declared with `no_mangle` and `export_name`
mod tests {
    use super::*;
    use crate::entry::init_entry;
    use crate::{ffi, Batch, Error, OutputBatch, PrimitiveBuilder, Result};
    use std::cell::RefCell;

    thread_local! {
        static OPTIONS: RefCell<String> = const { RefCell::new(String::new()) };
    }

    fn echo(input: &Batch) -> Result<OutputBatch> {
        let v: PrimitiveBuilder<u8> = input.column(0)?.primitive::<u8>()?.iter().collect();
        OutputBatch::new(input.num_rows()).with_column("v", true, v)
    }

    fn configure(options: &str) -> Result<()> {
        if options.contains("bad") {
            return Err(Error::invalid_input("bad option"));
        }
        OPTIONS.with(|o| *o.borrow_mut() = options.to_string());
        Ok(())
    }

    crate::export_functions! {
        map echo => echo;
        map echo_with_options => echo, init configure;
        map typed => self::echo, init configure, output ["v": uint8 nullable, "w x": utf8];
        map checked => echo, output ["v": uint8 nullable], input ["x": uint8 nullable, "y": utf8];
    }

    #[test]
    fn catalog_lists_every_function() {
        let expected = concat!(
            r#"{"functions":["#,
            r#"{"name":"echo","kind":"map","export":"wf_fn_echo"},"#,
            r#"{"name":"echo_with_options","kind":"map","export":"wf_fn_echo_with_options","#,
            r#""init":"wf_init_echo_with_options"},"#,
            r#"{"name":"typed","kind":"map","export":"wf_fn_typed","init":"wf_init_typed","#,
            r#""output":[{"name":"v","format":"C","nullable":true},"#,
            r#"{"name":"w x","format":"u","nullable":false}]},"#,
            r#"{"name":"checked","kind":"map","export":"wf_fn_checked","#,
            r#""input":[{"name":"x","format":"C","nullable":true},"#,
            r#"{"name":"y","format":"u","nullable":false}],"#,
            r#""output":[{"name":"v","format":"C","nullable":true}]}"#,
            r#"]}"#
        );
        assert_eq!(WF_CATALOG, expected);
    }

    #[test]
    fn declared_input_is_in_the_function() {
        use crate::{DataType, Field};
        let checked = WF_FUNCTIONS.iter().find(|f| f.name() == "checked").unwrap();
        assert_eq!(
            checked.input(),
            Some(vec![
                Field::new("x", DataType::UInt8, true),
                Field::new("y", DataType::Utf8, false)
            ])
        );
        assert_eq!(checked.output(), Some(vec![Field::new("v", DataType::UInt8, true)]));
        let typed = WF_FUNCTIONS.iter().find(|f| f.name() == "typed").unwrap();
        assert_eq!(typed.input(), None);
    }

    #[test]
    fn init_passes_options_and_reports_errors() {
        let options = r#"{"factor":2}"#;
        assert_eq!(init_entry(options.as_ptr() as usize, options.len(), configure), 0);
        assert_eq!(OPTIONS.with(|o| o.borrow().clone()), options);
        let bad = r#"{"bad":1}"#;
        assert_eq!(init_entry(bad.as_ptr() as usize, bad.len(), configure), 1);
        assert_eq!(ffi::last_error(), "bad option");
        let invalid = [b'{', 0xFF, b'}'];
        assert_eq!(init_entry(invalid.as_ptr() as usize, 3, configure), 1);
        assert_eq!(ffi::last_error(), "the options are not valid UTF-8");
        assert_eq!(
            init_entry(0, 0, |o| if o.is_empty() { Ok(()) } else { Err(Error::execution("x")) }),
            0
        );
    }

    #[test]
    fn map_functions_run_through_their_exports() {
        let x: PrimitiveBuilder<u8> = [Some(1), None].into_iter().collect();
        let input = OutputBatch::new(2).with_column("x", true, x).unwrap();
        let mut session = crate::Session::new(WF_FUNCTIONS, "typed").unwrap();
        let out = session.call(input).unwrap();
        assert_eq!(session.statuses(), [0]);
        let got = out.into_iter().next().unwrap().as_input(|b| {
            b.column(0).unwrap().primitive::<u8>().unwrap().iter().collect::<Vec<_>>()
        });
        assert_eq!(got.unwrap(), [Some(1), None]);
        assert_eq!(OPTIONS.with(|o| o.borrow().clone()), "{}");
    }

    #[test]
    fn names() {
        assert!(valid_name("_a9") && valid_name(&"x".repeat(64)));
        assert!(
            !valid_name("")
                && !valid_name("9a")
                && !valid_name("a-b")
                && !valid_name(&"x".repeat(65))
        );
        assert!(
            valid_column_name("a b é") && !valid_column_name("a\"") && !valid_column_name("\n")
        );
    }
}
