//! The native half of the `http` and `httpserver` packages: requests through the host's
//! HTTP client, the server's accept / respond / stop, and the parsing helpers upstream's
//! `http` package has for servers written on `socket` (`parse`, `url_decode`). The structs
//! (`HttpResponse`, `Server`, `Request`, `Response`, ...) are Kiwi, in `kiwi/http.kiwi` and
//! `kiwi/httpserver.kiwi`.

use kiwi_vm::error::{ErrorType, KResult, KiwiError};
use kiwi_vm::native::{Arity, NativeCx, NativeFn, Package, Reply};
use std::time::Duration;

use kiwi_vm::net::{HttpReply, HttpRequest, HttpServeOptions, Plain};
use kiwi_vm::value::Value;

use crate::encode::url_decode;
use crate::net::{
    arg_type_error, id_arg, int_arg, opt_bool_arg, opt_str_arg, port_arg, reply,
    reuse_port_default, str_arg, system_error,
};

/// The Kiwi part of `http`.
pub const SOURCE: &str = include_str!("kiwi/http.kiwi");
/// The Kiwi part of `httpserver`.
pub const SERVER_SOURCE: &str = include_str!("kiwi/httpserver.kiwi");

/// The `http` natives.
pub const PACKAGE: Package = Package {
    name: "http",
    functions: &[
        NativeFn::cx("__request__", Arity::between(2, 6), request),
        NativeFn::cx("set_timeout", Arity::exactly(1), |cx, a| {
            let ms = int_arg("http::set_timeout", a, 0, None)?;
            if ms < 0 {
                return Err(value_error(format!(
                    "http::set_timeout: the timeout must be 0 (the default, 30 s) or more, not {ms}"
                )));
            }
            cx.net().http_timeout(ms.unsigned_abs());
            Ok(Value::Null.into())
        }),
        NativeFn::pure("url_decode", Arity::between(1, 2), |a| {
            let s = str_arg("http::url_decode", a, 0)?;
            let plus = opt_bool_arg("http::url_decode", a, 1, true)?;
            Ok(Value::str(url_decode(&s, plus)))
        }),
        NativeFn::pure("__form__", Arity::exactly(1), |a| {
            let text = str_arg("http::__form__", a, 0)?;
            Ok(form_map(&text).into_value())
        }),
        NativeFn::pure("parse", Arity::exactly(1), |a| {
            let raw = match a.first() {
                Some(Value::Bytes(b)) => b.borrow().clone(),
                Some(Value::Str(s)) => s.as_bytes().to_vec(),
                other => return Err(arg_type_error("http::parse", 0, "Bytes or String", other)),
            };
            Ok(parse_request(&raw).map_or(Value::Null, |p| p.into_value()))
        }),
    ],
};

/// The `httpserver` natives.
pub const SERVER_PACKAGE: Package = Package {
    name: "httpserver",
    functions: &[
        NativeFn::cx("__serve__", Arity::exactly(1), serve),
        // `__run__(server_id, dispatch, server, Request, Response, routes)`: every request
        // starts a task calling `dispatch` (see `dispatch_args`); the id it gives finishes
        // when the server stops.
        NativeFn::cx("__run__", Arity::exactly(6), |cx, a| {
            let server = id_arg("httpserver::__run__", a, 0)?;
            let start = Box::new(move |net: &mut dyn kiwi_vm::net::NetDriver, op| {
                net.http_accept(op, server)
            });
            let args = dispatch_args(a)?;
            let id = cx.accept_loop(start, &a[1], args)?;
            Ok(id.into())
        }),
        // `__respond__(raw, status, headers, body)`: the reply to the request whose record is
        // `raw` (it names the server and the request).
        NativeFn::cx("__respond__", Arity::exactly(4), respond),
        // `__respond_json__(raw, status, body)`: `body` as JSON (a string as it is),
        // `Content-Type: application/json`.
        NativeFn::cx("__respond_json__", Arity::exactly(3), respond_json),
        NativeFn::cx("__stop__", Arity::exactly(1), |cx, a| {
            let server = id_arg("httpserver::__stop__", a, 0)?;
            cx.net().http_stop(server);
            Ok(Value::Null.into())
        }),
        NativeFn::cx("__port__", Arity::exactly(1), |cx, a| {
            let server = id_arg("httpserver::__port__", a, 0)?;
            let addr = cx.net().local_addr(server).map_err(system_error)?;
            Ok(Value::Int(i64::from(addr.port())).into())
        }),
    ],
};

/// The arguments of `__dispatch__` for one request record `raw`: `(server, raw, request,
/// response, handler)`. The request and response objects are built here (each is an instance
/// of its struct with `@raw` set, as its `new(raw)` would leave it), and the handler of an
/// exact route is looked up in `routes` (method -> {path -> handler}); it is null when there is
/// none, and the Kiwi side then tries the other routes. Done natively because every request
/// pays for it: in Kiwi it was two constructor calls and two map lookups per request.
fn dispatch_args(a: &[Value]) -> KResult<kiwi_vm::vm::AcceptArgs> {
    let class = |i: usize| match &a[i] {
        Value::Obj(o) if o.as_struct().is_some() => Ok(o.clone()),
        other => Err(arg_type_error(
            "httpserver::__run__",
            i,
            "a struct",
            Some(other),
        )),
    };
    let (request, response) = (class(3)?, class(4)?);
    let Value::Map(routes) = a[5].clone() else {
        return Err(arg_type_error(
            "httpserver::__run__",
            5,
            "Hashmap",
            a.get(5),
        ));
    };
    let server = a[2].clone();
    // The struct's own (interned) name for `@raw`, so setting it finds the variable by
    // pointer.
    let raw_name = request
        .as_struct()
        .and_then(|s| {
            s.fields
                .keys()
                .find(|k| matches!(&k.0, Value::Str(name) if name.as_str() == "raw"))
        })
        .map_or_else(|| Value::str("raw"), |k| k.0.clone());
    Ok(Box::new(move |raw: Value| {
        let instance = |class| {
            let v = kiwi_vm::object::new_instance(class);
            if let Value::Obj(o) = &v {
                // Cannot fail: the instance is new, so nothing borrows its variables.
                let _ = kiwi_vm::object::set_member(o, &raw_name, raw.clone());
            }
            v
        };
        let (req, res) = (instance(&request), instance(&response));
        // The table is never borrowed while the host runs this; if it were, the Kiwi side
        // would look the route up itself.
        let handler = routes
            .try_borrow()
            .ok()
            .and_then(|routes| exact_route(&routes, &raw))
            .unwrap_or_default();
        vec![server.clone(), raw, req, res, handler]
    }))
}

/// The handler `routes` (method -> {path -> handler}) has for request record `raw`'s method
/// (field 2) and path (field 3).
fn exact_route(routes: &kiwi_vm::value::Map, raw: &Value) -> Option<Value> {
    use kiwi_vm::value::KeyRef;
    let Value::List(fields) = raw else {
        return None;
    };
    let fields = fields.borrow();
    let (method, path) = (fields.get(2)?, fields.get(3)?);
    let Value::Map(paths) = routes.get(&KeyRef(method))? else {
        return None;
    };
    let handler = paths.try_borrow().ok()?.get(&KeyRef(path)).cloned();
    handler
}

/// Upstream's global builtins under its `http` package (`__http_get__(url, headers)`,
/// `__http_post__(url, body, headers)`, ...), which its examples call directly: the task id
/// of the request, like `http::request`.
pub(crate) fn builtin(cx: &mut NativeCx<'_>, method: &str, args: &[Value]) -> KResult<Reply> {
    let url = args.first().cloned().unwrap_or(Value::Null);
    let (body, headers) = match method {
        "GET" => (Value::Null, args.get(1)),
        _ => (args.get(1).cloned().unwrap_or(Value::Null), args.get(2)),
    };
    let headers = headers.cloned().unwrap_or(Value::Null);
    request(cx, &[Value::str(method), url, headers, body])
}

/// Upstream's `__http_download__(url, filename, headers = {})`: the task id of a GET whose
/// body goes to `filename`.
pub(crate) fn builtin_download(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    let url = args.first().cloned().unwrap_or(Value::Null);
    let file = args.get(1).cloned().unwrap_or(Value::Null);
    let headers = args.get(2).cloned().unwrap_or(Value::Null);
    request(
        cx,
        &[
            Value::str("GET"),
            url,
            headers,
            Value::Null,
            Value::Int(0),
            file,
        ],
    )
}

fn value_error(m: String) -> KiwiError {
    KiwiError::new(ErrorType::ValueError, m)
}

/// A hashmap's entries as text pairs (values shown as `println` would).
fn pairs(name: &str, args: &[Value], i: usize) -> KResult<Vec<(String, String)>> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(Vec::new()),
        // Just the content type (the httpserver package's common case).
        Some(Value::Str(ct)) => Ok(vec![("content-type".to_owned(), ct.to_string())]),
        Some(Value::Map(m)) => Ok(m
            .borrow()
            .iter()
            .map(|(k, v)| {
                (
                    kiwi_vm::format::to_display(k.value()),
                    kiwi_vm::format::to_display(v),
                )
            })
            .collect()),
        Some(Value::List(l)) => {
            // [[name, value], ...]: repeated names (Set-Cookie) keep their order.
            let mut out = Vec::new();
            for item in l.borrow().iter() {
                match item {
                    Value::List(p) if p.borrow().len() == 2 => {
                        let p = p.borrow();
                        out.push((
                            kiwi_vm::format::to_display(&p[0]),
                            kiwi_vm::format::to_display(&p[1]),
                        ));
                    }
                    _ => {
                        return Err(value_error(format!(
                            "{name}: headers must be [name, value] pairs"
                        )))
                    }
                }
            }
            Ok(out)
        }
        other => Err(arg_type_error(name, i, "Hashmap", other)),
    }
}

/// A body: string or bytes as they are; null for none; anything else as it prints.
fn body_arg(v: Option<&Value>) -> Option<Vec<u8>> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Str(s)) => Some(s.as_bytes().to_vec()),
        Some(Value::Bytes(b)) => Some(b.borrow().clone()),
        Some(other) => Some(kiwi_vm::format::to_display(other).into_bytes()),
    }
}

/// `http::__request__(method, url, headers = {}, body = null, timeout_ms = 0, download_to = "")`:
/// the task id of the request (awaited in the call when awaited at once).
fn request(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    const NAME: &str = "http::request";
    let method = str_arg(NAME, args, 0)?.to_uppercase();
    let url = str_arg(NAME, args, 1)?;
    let headers = pairs(NAME, args, 2)?;
    let body = body_arg(args.get(3));
    let timeout = int_arg(NAME, args, 4, Some(0))?;
    let download = opt_str_arg(NAME, args, 5)?;
    let spec = HttpRequest {
        method,
        url,
        headers,
        body,
        timeout: (timeout > 0).then(|| Duration::from_millis(timeout.unsigned_abs())),
        download_to: (!download.is_empty()).then(|| download.into()),
    };
    let started = cx.begin_op(Ok(()), |net, op| net.http_request(op, spec));
    reply(cx, started)
}

/// `httpserver::__serve__(options)`: starts a server; its id.
fn serve(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    const NAME: &str = "httpserver::start";
    let Some(Value::Map(m)) = args.first() else {
        return Err(arg_type_error(NAME, 0, "Hashmap", args.first()));
    };
    let get = |k: &str| m.borrow().get(&kiwi_vm::value::Key::from(k)).cloned();
    let opts: Vec<Value> = [
        "host",
        "port",
        "reuse_port",
        "tls",
        "cert",
        "key",
        "max_body",
        "header_timeout_ms",
        "body_timeout_ms",
    ]
    .iter()
    .map(|k| get(k).unwrap_or(Value::Null))
    .collect();
    let host = match &opts[0] {
        Value::Null => "127.0.0.1".to_string(),
        Value::Str(s) if s.as_str() == "localhost" => "127.0.0.1".to_string(),
        _ => str_arg(NAME, &opts, 0)?,
    };
    let port = port_arg(NAME, &opts, 1)?;
    let reuse_port = opt_bool_arg(NAME, &opts, 2, reuse_port_default())?;
    let tls = opt_bool_arg(NAME, &opts, 3, false)?;
    let cert = opt_str_arg(NAME, &opts, 4)?;
    let key = opt_str_arg(NAME, &opts, 5)?;
    let cert_key = match (cert.is_empty(), key.is_empty()) {
        (true, true) => None,
        (false, false) => Some((cert, key)),
        _ => {
            return Err(value_error(format!(
                "{NAME}: TLS needs both cert and key (or neither, for the development certificate)"
            )))
        }
    };
    let positive = |i: usize, default: i64, what: &str| -> KResult<u64> {
        let n = int_arg(NAME, &opts, i, Some(default))?;
        if n <= 0 {
            return Err(value_error(format!(
                "{NAME}: {what} must be positive, not {n}"
            )));
        }
        Ok(n.unsigned_abs())
    };
    let opts = HttpServeOptions {
        host,
        port,
        reuse_port,
        tls: tls || cert_key.is_some(),
        cert_key: cert_key.map(|(c, k)| (c.into(), k.into())),
        max_body: usize::try_from(positive(6, 16 << 20, "max_body")?).unwrap_or(usize::MAX),
        header_timeout: Duration::from_millis(positive(7, 10_000, "header_timeout")?),
        body_timeout: Duration::from_millis(positive(8, 30_000, "body_timeout")?),
        ..HttpServeOptions::default()
    };
    let id = cx
        .net()
        .http_serve(opts)
        .map_err(|f| KiwiError::custom("NetworkError", f.message))?;
    Ok(Value::Int(id).into())
}

/// `httpserver::__respond__(raw, status, headers, body)`.
fn respond(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    const NAME: &str = "httpserver::respond";
    // The package's own content types (the whole header list, for most replies).
    const KNOWN: [&str; 3] = [
        "application/json",
        "text/plain; charset=utf-8",
        "text/html; charset=utf-8",
    ];
    let known = match args.get(2) {
        Some(Value::Str(ct)) => KNOWN.into_iter().find(|k| *k == ct.as_str()),
        _ => None,
    };
    let headers = match known {
        Some(_) => Vec::new(),
        None => pairs(NAME, args, 2)?,
    };
    let body = body_arg(args.get(3)).unwrap_or_default();
    send_reply(cx, NAME, args, (known, headers), body)
}

/// The JSON response's one native call: the body is serialised here, so a handler's
/// `res.json(map)` costs no `stringify` call, type test or header list in Kiwi.
fn respond_json(cx: &mut NativeCx<'_>, args: &[Value]) -> KResult<Reply> {
    const NAME: &str = "httpserver::respond_json";
    let body = match args.get(2) {
        Some(Value::Str(s)) => s.as_bytes().to_vec(),
        Some(v) => crate::json::stringify(v, false)?.into_bytes(),
        None => Vec::new(),
    };
    send_reply(cx, NAME, args, (Some("application/json"), Vec::new()), body)
}

/// Hands the request whose record is `args[0]` (field 0 the request's id, field 1 its
/// server's) its reply with status `args[1]`, a static content type and/or other headers, and
/// `body`.
fn send_reply(
    cx: &mut NativeCx<'_>,
    name: &str,
    args: &[Value],
    (content_type, headers): (Option<&'static str>, Vec<(String, String)>),
    body: Vec<u8>,
) -> KResult<Reply> {
    let (request, server) = match args.first() {
        Some(Value::List(raw)) => {
            let raw = raw.borrow();
            match (raw.first(), raw.get(1)) {
                (Some(Value::Int(request)), Some(Value::Int(server))) => (*request, *server),
                _ => return Err(arg_type_error(name, 0, "a request record", args.first())),
            }
        }
        other => return Err(arg_type_error(name, 0, "a request record", other)),
    };
    let status = int_arg(name, args, 1, None)?;
    let status = u16::try_from(status)
        .ok()
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| value_error(format!("{name}: invalid HTTP status {status}")))?;
    let answer = HttpReply {
        status,
        content_type,
        headers,
        body,
    };
    cx.net()
        .http_respond(server, request, answer)
        .map_err(|f| value_error(f.message))?;
    Ok(Value::Null.into())
}

/// An `application/x-www-form-urlencoded` text as a map (`+` is a space; a repeated name keeps
/// its last value).
fn form_map(text: &str) -> Plain {
    let mut out: Vec<(String, Plain)> = Vec::new();
    for (k, v) in form_urlencoded::parse(text.as_bytes()) {
        let (k, v) = (k.into_owned(), Plain::Str(v.into_owned()));
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some((_, old)) => *old = v,
            None => out.push((k, v)),
        }
    }
    Plain::Map(out)
}

/// Decodes a chunked body; `None` if it is malformed or incomplete.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let (start, size) = match httparse::parse_chunk_size(data) {
            Ok(httparse::Status::Complete(x)) => x,
            _ => return None,
        };
        let size = usize::try_from(size).ok()?;
        data = &data[start..];
        if size == 0 {
            return Some(out);
        }
        if data.len() < size + 2 || &data[size..size + 2] != b"\r\n" {
            return None;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// upstream's `http::parse`: a raw request as `{method, path, query, version, headers, body,
/// form, raw}`, or `None` if it is malformed or incomplete.
fn parse_request(raw: &[u8]) -> Option<Plain> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return None,
    };
    let method = req.method?.to_uppercase();
    let target = req.path?;
    let version = format!("HTTP/1.{}", req.version?);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut header_map: Vec<(String, Plain)> = Vec::new();
    let mut chunked = false;
    let mut length = None;
    for h in req.headers.iter() {
        let name = h.name.to_lowercase();
        let value = String::from_utf8_lossy(h.value).trim().to_string();
        if name == "transfer-encoding" && value.to_lowercase().contains("chunked") {
            chunked = true;
        }
        if name == "content-length" {
            length = value.parse::<usize>().ok();
        }
        header_map.retain(|(n, _)| *n != name);
        header_map.push((name, Plain::Str(value)));
    }
    let rest = &raw[head_len..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        match length {
            Some(n) if rest.len() != n => return None,
            _ => rest.to_vec(),
        }
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let is_form = method == "POST"
        && header_map.iter().any(|(n, v)| {
            n == "content-type"
                && matches!(v, Plain::Str(s) if s.starts_with("application/x-www-form-urlencoded"))
        });
    let form = if is_form {
        form_map(&text)
    } else {
        Plain::Map(Vec::new())
    };
    let body = if is_form {
        form.clone()
    } else {
        Plain::Str(text)
    };
    let query = form_map(query);
    Some(Plain::Map(vec![
        ("method".into(), Plain::Str(method)),
        ("path".into(), Plain::Str(path.to_string())),
        ("query".into(), query),
        ("version".into(), Plain::Str(version)),
        ("headers".into(), Plain::Map(header_map)),
        ("body".into(), body),
        ("form".into(), form),
        ("raw".into(), Plain::Bytes(raw.to_vec())),
    ]))
}
