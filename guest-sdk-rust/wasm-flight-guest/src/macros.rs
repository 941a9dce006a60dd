//! The `export_functions!` entry point and the runtime support its expansion calls.

use crate::{ffi, Batch, Error, OutputBatch, Result};

/// Exports functions to the host: per function a `wf_fn_<name>` entry point (and `wf_init_<name>`
/// with `init`), plus `wf_catalog` and the `WF_CATALOG` constant it returns. Invoke it once, in
/// the module's crate root.
///
/// ```
/// # use wasm_flight_guest::{Batch, OutputBatch, Result};
/// # fn add_one(input: &Batch) -> Result<OutputBatch> { Ok(OutputBatch::new(input.num_rows())) }
/// # use add_one as scale;
/// # use add_one as line_total;
/// # fn scale_init(options: &str) -> Result<()> { Ok(()) }
/// wasm_flight_guest::export_functions! {
///     // fn add_one(input: &Batch) -> Result<OutputBatch>
///     map add_one => add_one;
///     // fn scale_init(options_json: &str) -> Result<()>, called once per session
///     map scale => scale, init scale_init;
///     // A fixed output schema, declared in the catalog: "name": type [nullable]
///     map line_total => line_total, output ["total": float64 nullable, "id": int64];
/// }
/// # fn main() {
/// assert!(WF_CATALOG.contains(r#"{"name":"scale","kind":"map","export":"wf_fn_scale","init":"wf_init_scale"}"#));
/// # }
/// ```
///
/// The function name (left of `=>`) is what clients call; it must match
/// `[A-Za-z_][A-Za-z0-9_]{0,63}`. Output types are `int8`, `uint8`, `int16`, `uint16`, `int32`,
/// `uint32`, `int64`, `uint64`, `float32`, `float64`, `bool`, `utf8` and `binary`. The host checks
/// every output batch against a declared output, nullability included. An `Err` from a function
/// becomes its status and the message of `wf_last_error`.
#[macro_export]
macro_rules! export_functions {
    ($(map $name:ident => $func:path $(, init $init:path)? $(, output [$($out:tt)*])? ;)+) => {
        $(
            const _: () = {
                assert!(
                    $crate::__private::valid_name(stringify!($name)),
                    concat!("invalid function name '", stringify!($name), "'"),
                );
                $($crate::__wf!(@check_output $($out)*);)?

                #[export_name = concat!("wf_fn_", stringify!($name))]
                extern "C" fn map(
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
            };
        )+

        /// The function catalog this module reports through `wf_catalog` (ABI §4).
        pub const WF_CATALOG: &str = concat!(
            "{\"functions\":[",
            $crate::__wf!(@functions $($name $(init $init)? $(output [$($out)*])? ;)+),
            "]}"
        );

        #[no_mangle]
        extern "C" fn wf_catalog() -> u64 {
            $crate::__private::abi_str(WF_CATALOG)
        }
    };
}

/// Helpers of `export_functions!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __wf {
    (@functions $name:ident $(init $init:tt)? $(output [$($out:tt)*])? ;) => {
        $crate::__wf!(@function $name $(init $init)? $(output [$($out)*])?)
    };
    (@functions $name:ident $(init $init:tt)? $(output [$($out:tt)*])? ; $($rest:tt)+) => {
        concat!(
            $crate::__wf!(@function $name $(init $init)? $(output [$($out)*])?),
            ",",
            $crate::__wf!(@functions $($rest)+)
        )
    };
    (@function $name:ident $(init $init:tt)? $(output [$($out:tt)*])?) => {
        concat!(
            "{\"name\":\"", stringify!($name),
            "\",\"kind\":\"map\",\"export\":\"wf_fn_", stringify!($name), "\"",
            $($crate::__wf!(@init $name $init),)?
            $(",\"output\":[", $crate::__wf!(@fields $($out)*), "]",)?
            "}"
        )
    };
    (@init $name:ident $init:tt) => {
        concat!(",\"init\":\"wf_init_", stringify!($name), "\"")
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
    (@check_output $($col:literal : $type:ident $($nullable:ident)?),+) => {
        $(assert!(
            $crate::__private::valid_column_name($col),
            concat!("output column name ", stringify!($col), " has a '\"', '\\' or control character"),
        );)+
    };
    (@nullable) => { "false" };
    (@nullable nullable) => { "true" };
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

/// Runs a `map` function for its `wf_fn_*` export: reads the input, calls `f`, writes the
/// output, and turns an `Err` into its status (ABI §6.1).
pub fn map_entry(
    in_schema: usize,
    in_array: usize,
    out_schema: usize,
    out_array: usize,
    f: fn(&Batch<'_>) -> Result<OutputBatch>,
) -> i32 {
    begin_call();
    let result = ffi::read_batch(in_schema, in_array).and_then(|input| {
        let output = f(&input)?;
        if output.num_rows() != input.num_rows() {
            return Err(Error::execution(format!(
                "the function returned {} rows for {} input rows",
                output.num_rows(),
                input.num_rows()
            )));
        }
        ffi::write_batch(output, out_schema, out_array)
    });
    status(result)
}

/// Runs an `init` function for its `wf_init_*` export with the options JSON (ABI §6.2).
pub fn init_entry(options: usize, len: usize, f: fn(&str) -> Result<()>) -> i32 {
    begin_call();
    let result = ffi::read_bytes(options, len).and_then(|bytes| {
        let options = std::str::from_utf8(bytes)
            .map_err(|_| Error::invalid_input("the options are not valid UTF-8"))?;
        f(options)
    });
    status(result)
}

/// Clears the last error and, once per instance, installs a panic hook that records the panic
/// message as the last error. A panic still traps (`panic = "abort"`); the host then reads the
/// message with `wf_last_error` and adds it to the trap it reports.
fn begin_call() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| ffi::set_last_error(format!("{}", info))));
    });
    ffi::set_last_error(String::new());
}

fn status(result: Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(error) => {
            let status = error.status();
            ffi::set_last_error(error.to_string());
            status
        }
    }
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

#[cfg(test)]
#[allow(unsafe_code)] // the exports are declared with `no_mangle` and `export_name`
mod tests {
    use super::*;
    use crate::PrimitiveBuilder;
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
            r#"{"name":"w x","format":"u","nullable":false}]}"#,
            r#"]}"#
        );
        assert_eq!(WF_CATALOG, expected);
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
