use super::*;

fn ints(xs: &[i64]) -> Value {
    Value::list(xs.iter().map(|&i| Value::Int(i)).collect())
}

fn run(v: &Value, name: &str, args: &[Value]) -> KResult<Value> {
    let Value::List(l) = v else { unreachable!() };
    call(l, v, name, args).expect("method exists")
}

fn shown(v: &Value) -> String {
    format::to_display(v)
}

fn same(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::List(x), Value::List(y)) if Rc::ptr_eq(x, y))
}

#[test]
fn mutators_return_the_same_list() {
    let l = ints(&[1]);
    for (name, args) in [
        ("push", vec![Value::Int(2)]),
        ("unshift", vec![Value::Int(0)]),
        ("concat", vec![ints(&[3])]),
        ("reverse", vec![]),
        ("sort", vec![]),
        ("remove", vec![Value::Int(9)]),
        ("insert", vec![Value::Int(0), Value::Int(-1)]),
        ("remove_at", vec![Value::Int(0)]),
        ("set", vec![Value::Int(0), Value::Int(5)]),
        ("clear", vec![]),
    ] {
        let r = run(&l, name, &args).unwrap();
        assert!(same(&r, &l), "{name}");
    }
}

#[test]
fn push_deep_copies_and_self_alias() {
    let l = ints(&[1]);
    let inner = ints(&[]);
    run(&l, "push", std::slice::from_ref(&inner)).unwrap();
    run(&inner, "push", &[Value::Int(7)]).unwrap();
    assert_eq!(shown(&l), "[1, []]");
    run(&l, "push", std::slice::from_ref(&l)).unwrap();
    assert_eq!(shown(&l), "[1, [], [1, []]]");
    let l = ints(&[1, 2]);
    run(&l, "concat", std::slice::from_ref(&l)).unwrap();
    assert_eq!(shown(&l), "[1, 2, 1, 2]");
}

#[test]
fn concat_flattens_one_level() {
    let l = ints(&[1]);
    let nested = Value::list(vec![Value::Int(2), ints(&[3, 4])]);
    run(&l, "concat", &[nested, Value::Int(5)]).unwrap();
    assert_eq!(shown(&l), "[1, 2, [3, 4], 5]");
}

#[test]
fn insert_and_remove_at() {
    let l = ints(&[1, 2, 3]);
    run(&l, "insert", &[Value::Int(1), Value::Int(9)]).unwrap();
    assert_eq!(shown(&l), "[1, 9, 2, 3]");
    assert_eq!(
        run(&l, "insert", &[Value::Int(4), Value::Int(0)])
            .unwrap_err()
            .error
            .as_ref(),
        "IndexError"
    );
    assert_eq!(
        run(&l, "insert", &[Value::Int(-1), Value::Int(0)])
            .unwrap_err()
            .error
            .as_ref(),
        "IndexError"
    );
    assert_eq!(
        run(&l, "insert", &[Value::str("a"), Value::Int(0)])
            .unwrap_err()
            .message
            .as_ref(),
        "Expected an integer."
    );
    run(&l, "remove_at", &[Value::Int(-1)]).unwrap();
    assert_eq!(shown(&l), "[1, 9, 2]");
    run(&l, "remove_at", &[Value::Int(-3)]).unwrap();
    assert_eq!(shown(&l), "[9, 2]");
    assert_eq!(
        run(&l, "remove_at", &[Value::Int(-3)])
            .unwrap_err()
            .error
            .as_ref(),
        "IndexError"
    );
    assert_eq!(
        run(&l, "remove_at", &[Value::Int(2)])
            .unwrap_err()
            .error
            .as_ref(),
        "IndexError"
    );
}

#[test]
fn type_strict_queries() {
    let l = Value::list(vec![Value::Int(1), Value::Float(1.0), Value::Int(1)]);
    assert!(matches!(
        run(&l, "contains", &[Value::Float(1.0)]),
        Ok(Value::Bool(true))
    ));
    assert!(matches!(
        run(&ints(&[1]), "contains", &[Value::Float(1.0)]),
        Ok(Value::Bool(false))
    ));
    assert!(matches!(
        run(&l, "index", &[Value::Float(1.0)]),
        Ok(Value::Int(1))
    ));
    assert!(matches!(
        run(&l, "lastindex", &[Value::Int(1)]),
        Ok(Value::Int(2))
    ));
    assert!(matches!(
        run(&l, "count", &[Value::Int(1)]),
        Ok(Value::Int(2))
    ));
    assert!(matches!(
        run(&l, "index", &[Value::str("1")]),
        Ok(Value::Int(-1))
    ));
    run(&l, "remove", &[Value::Float(1.0)]).unwrap();
    assert_eq!(shown(&l), "[1, 1]");
}

#[test]
fn get_and_set() {
    let l = ints(&[10, 20]);
    assert!(matches!(
        run(&l, "get", &[Value::Int(1)]),
        Ok(Value::Int(20))
    ));
    assert!(matches!(
        run(&l, "get", &[Value::Int(5), Value::Null]),
        Ok(Value::Null)
    ));
    assert!(matches!(
        run(&l, "get", &[Value::Int(-1), Value::Int(0)]),
        Ok(Value::Int(0))
    ));
    assert_eq!(
        run(&l, "get", &[Value::Int(2)]).unwrap_err().error.as_ref(),
        "IndexError"
    );
    assert_eq!(
        run(&l, "get", &[]).unwrap_err().error.as_ref(),
        "ParameterCountMismatchError"
    );
    assert_eq!(
        run(&l, "set", &[Value::Int(2), Value::Int(0)])
            .unwrap_err()
            .error
            .as_ref(),
        "IndexError"
    );
}

#[test]
fn sort_total_order() {
    let l = Value::list(vec![
        Value::str("b"),
        Value::Float(0.5),
        Value::Int(3),
        Value::Bool(true),
        Value::Int(-1),
        Value::str("a"),
        Value::Float(-2.0),
    ]);
    run(&l, "sort", &[]).unwrap();
    assert_eq!(shown(&l), "[-1, 3, -2, 0.5, true, \"a\", \"b\"]");
}

#[test]
fn sort_survives_self_reference() {
    let l = ints(&[2, 1]);
    if let Value::List(items) = &l {
        items.borrow_mut().push(l.clone());
        items.borrow_mut().push(ints(&[]));
    }
    run(&l, "sort", &[]).unwrap();
    if let Value::List(items) = &l {
        // Break the cycle so the test does not leak.
        items.borrow_mut().clear();
    }
}

#[test]
fn min_max_sum() {
    let l = Value::list(vec![
        Value::Int(3),
        Value::Float(1.5),
        Value::Int(7),
        Value::str("x"),
    ]);
    assert!(matches!(run(&l, "min", &[]), Ok(Value::Float(f)) if f == 1.5));
    // Other types compare by rank, and string ranks above every number.
    assert!(matches!(run(&l, "max", &[]), Ok(Value::Str(s)) if &*s == "x"));
    assert!(matches!(
        run(&ints(&[3, 7, 2]), "max", &[]),
        Ok(Value::Int(7))
    ));
    assert!(matches!(run(&l, "sum", &[]), Ok(Value::Float(f)) if f == 11.5));
    assert!(matches!(run(&ints(&[1, 2]), "sum", &[]), Ok(Value::Int(3))));
    assert!(matches!(run(&ints(&[]), "min", &[]), Ok(Value::Null)));
    assert!(matches!(run(&ints(&[]), "sum", &[]), Ok(Value::Int(0))));
}

#[test]
fn new_list_methods() {
    let l = Value::list(vec![
        Value::Int(1),
        Value::Float(1.0),
        Value::Int(1),
        Value::str("a"),
    ]);
    assert_eq!(shown(&run(&l, "unique", &[]).unwrap()), "[1, 1, \"a\"]");
    let nested = Value::list(vec![
        Value::Int(1),
        Value::list(vec![Value::Int(2), ints(&[3])]),
    ]);
    assert_eq!(shown(&run(&nested, "flatten", &[]).unwrap()), "[1, 2, 3]");
    let z = run(
        &ints(&[1, 2, 3]),
        "zip",
        &[Value::list(vec![Value::str("a"), Value::str("b")])],
    );
    assert_eq!(shown(&z.unwrap()), "[[1, \"a\"], [2, \"b\"]]");
    assert_eq!(
        run(&ints(&[1]), "zip", &[Value::Int(1)])
            .unwrap_err()
            .error
            .as_ref(),
        "ParameterTypeMismatchError"
    );
    let l = ints(&[1, 2, 3, 4]);
    assert_eq!(
        shown(&run(&l, "skip", &[Value::Int(1)]).unwrap()),
        "[2, 3, 4]"
    );
    assert_eq!(
        shown(&run(&l, "take", &[Value::Int(9)]).unwrap()),
        "[1, 2, 3, 4]"
    );
    assert_eq!(shown(&run(&l, "take", &[Value::Int(-1)]).unwrap()), "[]");
    assert_eq!(
        shown(&run(&l, "slice", &[Value::Int(1), Value::Int(3)]).unwrap()),
        "[2, 3]"
    );
    assert_eq!(
        shown(&run(&l, "replace", &[Value::Int(2), Value::Int(0)]).unwrap()),
        "[1, 0, 3, 4]"
    );
    run(&l, "rotate", &[Value::Int(1)]).unwrap();
    assert_eq!(shown(&l), "[4, 1, 2, 3]");
    run(&l, "swap", &[Value::Int(0), Value::Int(3)]).unwrap();
    assert_eq!(shown(&l), "[3, 1, 2, 4]");
    assert_eq!(
        run(&l, "swap", &[Value::Int(0), Value::Int(4)])
            .unwrap_err()
            .error
            .as_ref(),
        "RangeError"
    );
}

#[test]
fn flatten_rejects_cycles() {
    let l = ints(&[1]);
    if let Value::List(items) = &l {
        items.borrow_mut().push(l.clone());
    }
    assert_eq!(
        run(&l, "flatten", &[]).unwrap_err().error.as_ref(),
        "RuntimeError"
    );
    if let Value::List(items) = &l {
        items.borrow_mut().clear();
    }
}

#[test]
fn join_and_strings() {
    let l = Value::list(vec![
        Value::Int(1),
        Value::str("a"),
        Value::Float(2.5),
        Value::Null,
    ]);
    assert!(
        matches!(run(&l, "join", &[Value::str("-")]), Ok(Value::Str(s)) if &*s == "1-a-2.5-null")
    );
    assert!(matches!(run(&l, "join", &[]), Ok(Value::Str(s)) if &*s == "1a2.5null"));
    assert_eq!(
        run(&l, "join", &[Value::Int(1)])
            .unwrap_err()
            .error
            .as_ref(),
        "ParameterTypeMismatchError"
    );
}

#[test]
fn to_bytes_and_hex() {
    let l = Value::list(vec![Value::Int(104), Value::str("i"), Value::Null]);
    match run(&l, "to_bytes", &[]) {
        Ok(Value::Bytes(b)) => assert_eq!(*b.borrow(), b"hi"),
        _ => panic!(),
    }
    let e = run(&ints(&[256]), "to_bytes", &[]).unwrap_err();
    assert_eq!(e.error.as_ref(), "InvalidOperationError");
    assert_eq!(
        e.message.as_ref(),
        "Byte range is from 0 to 255 inclusive, but received 256"
    );
    assert!(matches!(run(&ints(&[1, 255]), "to_hex", &[]), Ok(Value::Str(s)) if &*s == "01ff"));
    assert!(run(&ints(&[]), "to_hex", &[]).is_err());
}

#[test]
fn queue_methods() {
    let l = ints(&[1, 2]);
    assert!(matches!(run(&l, "shift", &[]), Ok(Value::Int(1))));
    assert!(matches!(run(&l, "pop", &[]), Ok(Value::Int(2))));
    assert!(matches!(run(&l, "pop", &[]), Ok(Value::Null)));
    assert!(matches!(run(&l, "dequeue", &[]), Ok(Value::Null)));
    assert!(matches!(run(&l, "first", &[]), Ok(Value::Null)));
    run(&l, "enqueue", &[Value::Int(4)]).unwrap();
    assert!(matches!(run(&l, "last", &[]), Ok(Value::Int(4))));
}
