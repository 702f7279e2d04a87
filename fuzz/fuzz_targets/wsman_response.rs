//! WS-Man response parsing: Get, Enumerate/Pull pages (the streaming page reader, also under
//! tight limits, and the full-tree reading it falls back to), Invoke output and Identify.
#![no_main]
use hvremote::wsman::{enumerate, get, identify, invoke};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for status in [200u16, 500] {
        let _ = get::parse(status, text);
        let _ = enumerate::parse_page(status, text);
        let tight = hvremote::xml::Limits {
            max_bytes: 1 << 20,
            max_depth: 6,
            max_attributes: 3,
        };
        let mut n = 0usize;
        let _ = enumerate::for_each_item(status, text, &tight, &mut |_| {
            n += 1;
            Ok(())
        });
        if let (Ok(full), Ok(env)) = (
            enumerate::parse_page(status, text),
            hvremote::wsman::parse_response(status, text),
        ) {
            // The streaming reader and the full tree agree on every well-formed page.
            assert_eq!(Ok(full.clone()), enumerate::page_from_envelope(&env));
            // The allocation-light item views agree with the full page item by item.
            let mut views = Vec::new();
            let end = enumerate::for_each_view(status, text, &Default::default(), &mut |v| {
                views.push(v);
                Ok(())
            })
            .expect("a page the full reader accepts is accepted by the view reader");
            assert_eq!(views.len(), full.items.len());
            assert_eq!(end.context, full.context);
            for (v, item) in views.iter().zip(&full.items) {
                match v {
                    enumerate::ItemView::Flat(f) => {
                        assert!(item.epr.is_none());
                        assert!(f.agrees_with(item.instance.as_ref().expect("instance")));
                    }
                    enumerate::ItemView::Item(i) => assert_eq!(i, item),
                }
            }
        }
        let _ = enumerate::for_each_view(status, text, &tight, &mut |_| Ok(()));
        let _ = invoke::parse_output(status, text, None);
        let _ = invoke::parse_output(status, text, Some("ExportSystemDefinition"));
        let _ = identify::parse(status, text);
    }
});
