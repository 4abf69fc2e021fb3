//! CSV files built row by row: every result table the lab writes goes through [`Table`], so
//! fields are quoted and escaped by the `csv` crate whatever they hold, while numbers keep Rust's
//! shortest round-trip formatting (`Display`), which reads back exactly.

use std::fmt::Display;

/// A CSV table being built in memory.
pub struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    /// A table with this header row.
    pub fn new(header: &[&str]) -> Table {
        let mut table = Table {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new()),
        };
        table.row(header);
        table
    }

    /// Appends one row; each field is written with its `Display` form.
    pub fn row<T: Display>(&mut self, fields: &[T]) {
        self.writer
            .write_record(fields.iter().map(|f| f.to_string()))
            .expect("writing to memory cannot fail");
    }

    /// Appends one row of fields of different types.
    pub fn row_of(&mut self, fields: &[&dyn Display]) {
        self.writer
            .write_record(fields.iter().map(|f| f.to_string()))
            .expect("writing to memory cannot fail");
    }

    /// The whole table as text.
    pub fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .expect("flushing to memory cannot fail");
        String::from_utf8(bytes).expect("every field was a Rust string")
    }
}
