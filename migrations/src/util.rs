//! Helpers shared by the migrations.

use sea_orm_migration::prelude::*;

/// A named foreign key `fk_{table}_{column}` to `to_table.id`, restricting deletes.
pub(crate) fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// A named index on `cols` of `table`.
pub(crate) fn index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    stmt.to_owned()
}
