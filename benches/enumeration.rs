//! Enumeration page throughput (issue 7, target 3: parse a 512 KB page at 200 MB/s or more;
//! target 4: the simulated host renders pages faster than clients consume them).
//!
//! The page is the simulated host's first reply to `SELECT * FROM Msvm_ComputerSystem` with a
//! MaxEnvelopeSize of 512000 over 5000 VMs. Run: `cargo bench --bench enumeration`.

mod support;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hvremote::wsman::enumerate::parse_page;

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
    g.bench_function("sim_render_first_page", |b| {
        b.iter_batched(
            || support::host(5000),
            |mut h| support::enumeration_page(&mut h, 512_000).len(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, page);
criterion_main!(benches);
