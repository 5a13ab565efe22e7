//! The `sqlite` package (upstream's `docs/lib/sqlite.md`): SQLite through rusqlite (SQLite
//! compiled in). Every statement runs on the blocking pool, so a slow query suspends only its
//! task. A connection is an integer handle in a process-wide table (the pool's threads use
//! it); the Kiwi part (`kiwi/sqlite.kiwi`) wraps it in `SqliteDb`. Failures are
//! `SqliteError`s with SQLite's message.

use std::sync::{Arc, Mutex};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;

use kiwi_vm::error::{KResult, KiwiError};
use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

/// The natives under the package's Kiwi part.
pub const PACKAGE: Package = Package {
    name: "sqlite",
    functions: &[
        NativeFn::cx("_open", Arity::exactly(1), open),
        NativeFn::cx("_close", Arity::exactly(1), close),
        NativeFn::cx("_exec", Arity::exactly(3), |cx, a| statement(cx, a, false)),
        NativeFn::cx("_query", Arity::exactly(3), |cx, a| statement(cx, a, true)),
        NativeFn::cx("_last_insert_id", Arity::exactly(1), |cx, a| {
            with_connection(cx, a, |c| Ok(Plain::Int(c.last_insert_rowid())))
        }),
        NativeFn::cx("_changes", Arity::exactly(1), |cx, a| {
            with_connection(cx, a, |c| Ok(Plain::Int(c.changes() as i64)))
        }),
    ],
};

/// The Kiwi part (`SqliteDb`, `sqlite::open`).
pub const SOURCE: &str = include_str!("kiwi/sqlite.kiwi");

use crate::{lock, Handles, JobError as Failure};

type Shared = Arc<Mutex<Connection>>;

/// The open connections.
static CONNECTIONS: Handles<Mutex<Connection>> = Handles::new();

fn failed(e: impl std::fmt::Display) -> Failure {
    ("SqliteError", e.to_string())
}

fn open(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let path = check::str_arg("sqlite::open", args, 0)?.to_string();
    cx.run_blocking(Box::new(move || {
        let conn =
            Connection::open(&path).map_err(|e| failed(format!("Cannot open '{path}': {e}")))?;
        Ok(Plain::Int(CONNECTIONS.insert(Mutex::new(conn))))
    }))
}

fn close(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let id = check::int_arg("sqlite::close", args, 0)?;
    let conn = CONNECTIONS.remove(id);
    cx.run_blocking(Box::new(move || {
        // Dropping the last reference closes the database (after a running statement ends).
        drop(conn);
        Ok(Plain::Bool(true))
    }))
}

/// The open connection `args[0]` names, or a SqliteError if it was closed.
fn connection(args: &[Value]) -> KResult<Shared> {
    let id = check::int_arg("sqlite", args, 0)?;
    CONNECTIONS
        .get(id)
        .ok_or_else(|| KiwiError::custom("SqliteError", "The database connection is closed."))
}

fn with_connection(
    cx: &mut NativeCx<'_>,
    args: &[Value],
    f: fn(&Connection) -> Result<Plain, Failure>,
) -> KResult<Reply> {
    let conn = connection(args)?;
    cx.run_blocking(Box::new(move || f(&lock(&conn))))
}

/// `_exec(id, sql, params)` (rows changed) / `_query(id, sql, params)` (rows as hashmaps).
/// Parameter `i` (from 0) binds `@p{i+1}`, or the `i+1`-th placeholder when the SQL has no
/// such name.
fn statement(cx: &mut NativeCx<'_>, args: &[Value], query: bool) -> KResult<Reply> {
    let conn = connection(args)?;
    let sql = check::str_arg("sqlite", args, 1)?.to_string();
    let params = match &args[2] {
        Value::Null => Vec::new(),
        Value::List(items) => items
            .borrow()
            .iter()
            .map(sql_value)
            .collect::<KResult<Vec<_>>>()?,
        other => return Err(check::expected("sqlite", 1, "List", other)),
    };
    cx.run_blocking(Box::new(move || {
        let conn = lock(&conn);
        if !query && params.is_empty() {
            // Several statements may be given at once (a schema script).
            conn.execute_batch(&sql).map_err(failed)?;
            return Ok(Plain::Int(conn.changes() as i64));
        }
        let mut stmt = conn.prepare(&sql).map_err(failed)?;
        for (i, value) in params.iter().enumerate() {
            let index = match stmt
                .parameter_index(&format!("@p{}", i + 1))
                .map_err(failed)?
            {
                Some(index) => index,
                None if i < stmt.parameter_count() => i + 1,
                None => {
                    return Err(failed(format!(
                        "There is no placeholder for parameter {}.",
                        i + 1
                    )))
                }
            };
            stmt.raw_bind_parameter(index, value).map_err(failed)?;
        }
        if !query {
            let changed = stmt.raw_execute().map_err(failed)?;
            return Ok(Plain::Int(changed as i64));
        }
        let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut fields = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let value = match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => Plain::Null,
                    ValueRef::Integer(n) => Plain::Int(n),
                    ValueRef::Real(f) => Plain::Float(f),
                    ValueRef::Text(t) => Plain::Str(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Plain::Bytes(b.to_vec()),
                };
                fields.push((name.clone(), value));
            }
            out.push(Plain::Map(fields));
        }
        Ok(Plain::List(out))
    }))
}

/// A Kiwi value as an SQLite value: booleans are 1/0, dates ISO 8601 text.
fn sql_value(v: &Value) -> KResult<SqlValue> {
    Ok(match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Int(n) => SqlValue::Integer(*n),
        Value::Float(f) => SqlValue::Real(*f),
        Value::Str(s) => SqlValue::Text(s.to_string()),
        Value::Bytes(b) => SqlValue::Blob(b.borrow().clone()),
        Value::Date(ms) => SqlValue::Text(kiwi_vm::date::format(*ms, "yyyy-MM-dd HH:mm:ss")),
        other => {
            return Err(KiwiError::custom(
                "SqliteError",
                format!("A {} cannot be a query parameter.", other.type_name()),
            ))
        }
    })
}
