//! CIM instance reading from WS-Man XML (typed instances and property-list fragments),
//! object paths and WQL literals.
#![no_main]
use hvremote::cim::{Instance, ObjectPath, parse_literal};
use hvremote::xml::Element;
use libfuzzer_sys::fuzz_target;

fn visit(el: &Element, depth: usize) {
    if depth > 64 {
        return;
    }
    let _ = Instance::from_element(el);
    let _ = Instance::from_fragment(el);
    for c in el.children.iter().filter_map(|n| match n {
        hvremote::xml::Node::Element(e) => Some(e),
        _ => None,
    }) {
        visit(c, depth + 1);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(root) = hvremote::xml::parse(text) {
        visit(&root, 0);
    }
    let _ = ObjectPath::parse(text);
    let _ = parse_literal(text);
});
