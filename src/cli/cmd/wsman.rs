//! `hvremote wsman identify | get | enumerate | invoke`: generic WS-Management operations for
//! anything the dedicated commands do not cover. Output is JSON (instances as objects of
//! property → text or list), or the raw reply XML with `-o xml`.

use serde_json::{Map, Value, json};

use crate::cli::args::{OutputArg, WsmanCommand};
use crate::cli::output::{JsonArray, Sink};
use crate::error::{Error, ErrorKind};
use crate::hyperv::adapter::WsManOps;
use crate::hyperv::ops::{Arg, Ops};
use crate::transport::Transport;
use crate::wsman::{enumerate, get, identify};
use crate::xml::{Element, ns};

/// The resource URI for a class name or URI, in `namespace` (default root/virtualization/v2).
pub fn resource_uri(class: &str, namespace: Option<&str>) -> String {
    if class.contains("://") {
        return class.to_string();
    }
    let nsp = namespace
        .unwrap_or("root/virtualization/v2")
        .replace('\\', "/");
    format!("{}{}/{class}", ns::WMI_BASE, nsp.trim_matches('/'))
}

/// Split `K=V` pairs.
pub fn pairs(items: &[String], what: &str) -> Result<Vec<(String, String)>, Error> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Error::new(
                ErrorKind::Usage,
                format!("{what} '{s}' is not of the form K=V"),
            )),
        })
        .collect()
}

/// An element as JSON: leaf → text (null when nil), repeated names → arrays.
pub fn element_json(e: &Element) -> Value {
    if e.is_nil() {
        return Value::Null;
    }
    let kids: Vec<&Element> = e.elements().collect();
    if kids.is_empty() {
        return Value::String(e.text_trim());
    }
    let mut m = Map::new();
    for k in kids {
        let v = element_json(k);
        match m.get_mut(&k.local) {
            Some(Value::Array(a)) => a.push(v),
            Some(old) => *old = Value::Array(vec![old.take(), v]),
            None => {
                m.insert(k.local.clone(), v);
            }
        }
    }
    Value::Object(m)
}

fn pretty(v: &Value) -> String {
    super::vms::json(v)
}

/// The raw reply text, kept only when it is what will be printed (`-o xml`).
fn raw_if(f: OutputArg, body: &str) -> String {
    if f == OutputArg::Xml {
        body.to_string()
    } else {
        String::new()
    }
}

/// Run a wsman subcommand. `wsman enumerate` streams its JSON array into `out` (returning
/// ""); the others return what to print.
pub async fn run<T: Transport>(
    ops: &WsManOps<T>,
    c: &WsmanCommand,
    f: OutputArg,
    out: &mut Sink,
) -> Result<String, Error> {
    let client = ops.client();
    match c {
        WsmanCommand::Identify => {
            let (id, raw) = client
                .call("identify", identify::request, |st, body, lim| {
                    identify::parse_with(st, body, lim).map(|id| (id, raw_if(f, body)))
                })
                .await?;
            Ok(if f == OutputArg::Xml {
                raw
            } else {
                pretty(&json!(format!("{id:?}")))
            })
        }
        WsmanCommand::Get {
            class,
            selectors,
            namespace,
        } => {
            let uri = resource_uri(class, namespace.as_deref());
            let sel = pairs(selectors, "selector")?;
            if f == OutputArg::Xml {
                let what = format!("get {class}");
                let (_, raw) = client
                    .call(
                        &what,
                        |s, ids| get::request(s, ids, &uri, &sel),
                        |st, body, lim| {
                            get::parse_with(st, body, lim).map(|e| (e, raw_if(f, body)))
                        },
                    )
                    .await?;
                return Ok(raw);
            }
            Ok(pretty(&element_json(&ops.get(&uri, &sel).await?)))
        }
        WsmanCommand::Enumerate {
            class,
            wql,
            namespace,
        } => {
            let query = match wql {
                Some(q) => q.clone(),
                None if class.contains("://") => {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        "enumerate of a full uri needs --wql",
                    ));
                }
                None => format!("SELECT * FROM {class}"),
            };
            let uri = resource_uri("*", namespace.as_deref());
            if f == OutputArg::Xml {
                // The raw first reply, as the host sent it.
                let req = enumerate::EnumerateRequest::new(
                    &uri,
                    Some(&query),
                    enumerate::EnumerationMode::Objects,
                );
                let (_, raw) = client
                    .call(
                        "enumerate",
                        |s, ids| req.to_request(s, ids),
                        |st, body, lim| {
                            enumerate::parse_page_with(st, body, lim).map(|p| (p, raw_if(f, body)))
                        },
                    )
                    .await?;
                return Ok(raw);
            }
            let mut rows = JsonArray::new(out);
            client
                .enumerate(
                    &uri,
                    Some(&query),
                    enumerate::EnumerationMode::Objects,
                    &mut |item| match item.instance {
                        Some(e) => rows.push(&element_json(&e)),
                        None => Ok(()),
                    },
                )
                .await?;
            rows.finish()?;
            Ok(String::new())
        }
        WsmanCommand::Invoke {
            class,
            method,
            selectors,
            params,
            namespace,
        } => {
            let uri = resource_uri(class, namespace.as_deref());
            let sel = pairs(selectors, "selector")?;
            let args: Vec<(String, Arg)> = pairs(params, "param")?
                .into_iter()
                .map(|(k, v)| (k, Arg::Str(v)))
                .collect();
            let out = ops.invoke(&uri, method, &sel, &args).await?;
            let mut m = Map::new();
            m.insert("ReturnValue".into(), json!(out.return_value));
            for (k, v) in &out.values {
                m.insert(k.clone(), json!(v));
            }
            for (k, e) in &out.refs {
                m.insert(
                    k.clone(),
                    json!({"resource_uri": e.resource_uri, "selectors": e.selectors}),
                );
            }
            Ok(pretty(&Value::Object(m)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_pairs() {
        assert_eq!(
            resource_uri("Msvm_ComputerSystem", None),
            "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem"
        );
        assert_eq!(
            resource_uri("Win32_Service", Some("root\\cimv2")),
            "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"
        );
        assert_eq!(
            pairs(&["a=b=c".into()], "selector").unwrap(),
            vec![("a".into(), "b=c".into())]
        );
        assert!(pairs(&["nokey".into()], "selector").is_err());
    }

    #[test]
    fn element_to_json() {
        let e = crate::xml::parse(
            r#"<p:X xmlns:p="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><p:A>1</p:A><p:B>x</p:B><p:B>y</p:B><p:C xsi:nil="true"/></p:X>"#,
        )
        .unwrap();
        assert_eq!(element_json(&e), json!({"A":"1","B":["x","y"],"C":null}));
    }
}
