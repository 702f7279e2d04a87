//! `hvremote wsman identify | get | enumerate | invoke`: generic WS-Management operations for
//! anything the dedicated commands do not cover. Output is JSON (instances as objects of
//! property → text or list), or the raw reply XML with `-o xml`.

use serde_json::{Map, Value, json};

use crate::cli::args::{OutputArg, WsmanCommand};
use crate::error::{Error, ErrorKind};
use crate::hyperv::adapter::{WsManOps, soap_error};
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

/// Run a wsman subcommand.
pub async fn run<T: Transport>(
    ops: &WsManOps<T>,
    c: &WsmanCommand,
    f: OutputArg,
) -> Result<String, Error> {
    match c {
        WsmanCommand::Identify => {
            let resp = ops
                .send(identify::request(ops.settings(), ops.ids()), "identify")
                .await?;
            let id =
                identify::parse(resp.status, &resp.body).map_err(|e| soap_error(e, "identify"))?;
            Ok(if f == OutputArg::Xml {
                resp.body
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
                let resp = ops
                    .send(get::request(ops.settings(), ops.ids(), &uri, &sel), "get")
                    .await?;
                get::parse(resp.status, &resp.body).map_err(|e| soap_error(e, "get"))?;
                return Ok(resp.body);
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
            if namespace.is_some() || f == OutputArg::Xml {
                let uri = resource_uri("*", namespace.as_deref());
                let req = enumerate::EnumerateRequest::new(
                    &uri,
                    Some(&query),
                    enumerate::EnumerationMode::Objects,
                );
                let resp = ops
                    .send(req.to_request(ops.settings(), ops.ids()), "enumerate")
                    .await?;
                let page = enumerate::parse_page(resp.status, &resp.body)
                    .map_err(|e| soap_error(e, "enumerate"))?;
                if f == OutputArg::Xml {
                    return Ok(resp.body);
                }
                let items: Vec<Value> = page
                    .items
                    .iter()
                    .filter_map(|i| i.instance.as_ref())
                    .map(element_json)
                    .collect();
                return Ok(pretty(&Value::Array(items)));
            }
            let items = ops.query(&query).await?;
            Ok(pretty(&Value::Array(
                items.iter().map(element_json).collect(),
            )))
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
