//! Enumeration page throughput (issue 7, target 3: parse a 512 KB page at 200 MB/s or more;
//! target 4: the simulated host renders pages faster than clients consume them).
//!
//! The page is the simulated host's first reply to `SELECT * FROM Msvm_ComputerSystem` with a
//! MaxEnvelopeSize of 512000 over 5000 VMs. Run: `cargo bench --bench enumeration`.

mod support;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hvremote::hyperv::classes::{vm_from_instance, vm_from_view};
use hvremote::wsman::enumerate::{ItemView, for_each_view, parse_page, parse_page_map};
use hvremote::xml::Limits;

fn page(c: &mut Criterion) {
    let mut host = support::host(5000);
    let body = support::enumeration_page(&mut host, 512_000);
    let items = parse_page(200, &body).expect("page parses").items.len();
    eprintln!("enumeration page: {} bytes, {items} items", body.len());
    if std::env::var_os("DUMP_PAGE").is_some() {
        let _ = std::fs::write("/tmp/page.xml", &body);
    }

    let mut g = c.benchmark_group("enumeration_page");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("xml_parse", |b| {
        b.iter(|| hvremote::xml::parse(black_box(&body)).expect("parses"))
    });
    g.bench_function("quick_xml_events_only", |b| {
        b.iter(|| {
            let mut r = quick_xml::NsReader::from_str(black_box(&body));
            let mut n = 0usize;
            loop {
                match r.read_resolved_event() {
                    Ok((_, quick_xml::events::Event::Eof)) => break n,
                    Ok(_) => n += 1,
                    Err(_) => break 0,
                }
            }
        })
    });
    g.bench_function("parse_page", |b| {
        b.iter(|| parse_page(200, black_box(&body)).expect("parses"))
    });
    g.bench_function("for_each_view", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for_each_view(200, black_box(&body), &Limits::default(), &mut |v| {
                n += usize::from(matches!(v, ItemView::Flat(_)));
                Ok(())
            })
            .expect("parses");
            n
        })
    });
    g.bench_function("sim_render_first_page", |b| {
        b.iter_batched(
            || support::host(5000),
            |mut h| support::enumeration_page(&mut h, 512_000).len(),
            BatchSize::PerIteration,
        )
    });
    g.finish();

    // Exactly what `vms` does with each page: the property-list query it sends, every item read
    // as a view and turned into a `Vm` row (hvremote::hyperv::classes::vm_from_view).
    let vms_body = support::enumeration_page_for(
        &mut host,
        512_000,
        &hvremote::hyperv::classes::wql_all_systems(),
    );
    let vms = parse_page_map(200, &vms_body, &Limits::default(), &|v| vm_from_view(&v))
        .expect("vms page parses")
        .items
        .iter()
        .flatten()
        .count();
    eprintln!("vms page: {} bytes, {vms} vms", vms_body.len());
    let mut g = c.benchmark_group("vms_page");
    g.throughput(Throughput::Bytes(vms_body.len() as u64));
    g.bench_function("view_to_rows", |b| {
        b.iter(|| {
            parse_page_map(200, black_box(&vms_body), &Limits::default(), &|v| {
                vm_from_view(&v)
            })
            .expect("parses")
        })
    });
    g.bench_function("owned_to_rows", |b| {
        b.iter(|| {
            let p = parse_page(200, black_box(&vms_body)).expect("parses");
            p.items
                .iter()
                .filter_map(|i| i.instance.as_ref().and_then(vm_from_instance))
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, page);
criterion_main!(benches);
