//! [`Function`]: one function of the module as `export_functions!` exported it — its catalog
//! entry and its entry points — which [`crate::Session`] calls natively, as the host would.

use crate::{DataType, Field};

/// The kind of a function (catalog key `kind`, ABI §4 and §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// One output batch of the same row count per input batch (ABI 1.0).
    Map,
    /// A selection of the input rows per input batch (ABI 1.2).
    Filter,
    /// Any number of output batches per input batch, and optionally after the last (ABI 1.2).
    Table,
    /// State updated by every input batch; output batches after the last (ABI 1.2).
    Aggregate,
}

impl FunctionKind {
    /// The catalog's name of the kind: `map`, `filter`, `table`, `aggregate`.
    pub fn name(self) -> &'static str {
        match self {
            FunctionKind::Map => "map",
            FunctionKind::Filter => "filter",
            FunctionKind::Table => "table",
            FunctionKind::Aggregate => "aggregate",
        }
    }
}

/// A column of a declared `input [...]` or `output [...]`, as `export_functions!` writes it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct OutputField {
    pub name: &'static str,
    /// A C Data format of a type without children.
    pub format: &'static str,
    pub nullable: bool,
}

impl OutputField {
    pub(crate) fn to_field(self) -> Field {
        // `export_functions!` writes only the formats of its type names.
        let data_type = DataType::from_format(self.format).unwrap_or(DataType::Null);
        Field::new(self.name, data_type, self.nullable)
    }
}

/// A `(i32, i32, i32, i32) -> i32` export: map, filter and table (ABI §6.1, §6.3, §6.4).
pub type BatchEntry = extern "C" fn(usize, usize, usize, usize) -> i32;
/// A `(i32, i32) -> i32` export: init, aggregate update, finish (ABI §6.2, §6.5).
pub type PairEntry = extern "C" fn(usize, usize) -> i32;

/// What `export_functions!` knows of a function.
#[doc(hidden)]
pub struct FunctionParts {
    pub name: &'static str,
    pub kind: FunctionKind,
    /// `wf_fn_<name>` of a map, filter or table function.
    pub batch: Option<BatchEntry>,
    /// `wf_fn_<name>` of an aggregate.
    pub update: Option<PairEntry>,
    pub init: Option<PairEntry>,
    pub finish: Option<PairEntry>,
    /// The declared `input [...]` (ABI §4 `input`), checked by the host before the guest.
    pub input: Option<&'static [OutputField]>,
    pub output: Option<&'static [OutputField]>,
    pub row_index: Option<&'static str>,
    /// Clears the function's per-session state (what a new instance would start with).
    pub reset: fn(),
}

/// One exported function: its name, kind and catalog keys, and its entry points. The
/// `WF_FUNCTIONS` constant that [`export_functions!`](crate::export_functions) generates lists
/// them; [`crate::Session`] calls them natively the way the host does, for tests.
pub struct Function(FunctionParts);

impl Function {
    #[doc(hidden)]
    pub const fn from_parts(parts: FunctionParts) -> Function {
        Function(parts)
    }

    pub(crate) fn parts(&self) -> &FunctionParts {
        &self.0
    }

    /// The name clients call.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    pub fn kind(&self) -> FunctionKind {
        self.0.kind
    }

    /// `true` when it takes options (it has an `init`).
    pub fn has_init(&self) -> bool {
        self.0.init.is_some()
    }

    /// `true` when it has a `finish` export (every aggregate; a table function optionally).
    pub fn has_finish(&self) -> bool {
        self.0.finish.is_some()
    }

    /// The declared input schema (catalog key `input`), if any: the host refuses any other
    /// input before the function sees it.
    pub fn input(&self) -> Option<Vec<Field>> {
        self.0.input.map(|fields| fields.iter().map(|f| f.to_field()).collect())
    }

    /// The declared output schema, if any.
    pub fn output(&self) -> Option<Vec<Field>> {
        self.0.output.map(|fields| fields.iter().map(|f| f.to_field()).collect())
    }

    /// The `row_index` column of a table function, if any.
    pub fn row_index(&self) -> Option<&'static str> {
        self.0.row_index
    }
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.0.name)
            .field("kind", &self.0.kind)
            .field("init", &self.has_init())
            .field("finish", &self.has_finish())
            .field("row_index", &self.0.row_index)
            .field("input", &self.0.input)
            .field("output", &self.0.output)
            .finish()
    }
}
