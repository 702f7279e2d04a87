//! Per-message CPU of the export exchange (issue 7, target 3: build + seal + unseal + parse of
//! an ExportSystemDefinition exchange under 20 µs), and its parts.
//!
//! The reply is the simulated host's real answer to the request; the NTLM sessions come from a
//! full handshake. Run: `cargo bench --bench messages`.

mod support;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use hvremote::http::encrypted::{self, SPNEGO_PROTOCOL};
use hvremote::wsman::invoke::parse_output;
use md5::Md5;
use rc4::StreamCipher;

fn export_exchange(c: &mut Criterion) {
    let mut host = support::host(0);
    let request = support::export_request(&host);
    let request_body = support::body_of(&request);
    let reply_body = support::reply(&mut host, &request_body);
    let ctype = encrypted::content_type(SPNEGO_PROTOCOL);
    let (mut client, mut server) = support::sessions();

    let mut g = c.benchmark_group("export_exchange");
    g.bench_function("build_request", |b| {
        b.iter(|| support::body_of(black_box(&request)))
    });
    g.bench_function("seal_request", |b| {
        b.iter(|| {
            encrypted::encode(
                &mut client,
                SPNEGO_PROTOCOL,
                black_box(request_body.as_bytes()),
            )
        })
    });
    g.bench_function("parse_reply", |b| {
        b.iter(|| {
            parse_output(200, black_box(&reply_body), Some("ExportSystemDefinition"))
                .expect("parses")
        })
    });
    g.bench_function("unseal_reply", |b| {
        b.iter_batched(
            || encrypted::encode(&mut server, SPNEGO_PROTOCOL, reply_body.as_bytes()),
            |sealed| encrypted::decode(&mut client, &ctype, &sealed).expect("unseals"),
            BatchSize::SmallInput,
        )
    });
    // The whole client side of one exchange: build and seal the request, unseal and parse the
    // reply (the host's sealing of the reply happens in the untimed set-up).
    g.bench_function("client_total", |b| {
        b.iter_batched(
            || encrypted::encode(&mut server, SPNEGO_PROTOCOL, reply_body.as_bytes()),
            |sealed| {
                let body = support::body_of(&request);
                let wire = encrypted::encode(&mut client, SPNEGO_PROTOCOL, body.as_bytes());
                let plain = encrypted::decode(&mut client, &ctype, &sealed).expect("unseals");
                let text = String::from_utf8(plain).expect("utf-8");
                let out = parse_output(200, &text, Some("ExportSystemDefinition")).expect("parses");
                (wire.len(), out.return_value)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Where sealing the request goes: NTLM sealing alone (RC4 + HMAC-MD5, no framing), the
    // HMAC-MD5 alone (so RC4 is the difference), and the `rc4` crate's RC4 over the same bytes.
    let mut g = c.benchmark_group("seal_parts");
    let mut buf = request_body.clone().into_bytes();
    g.throughput(criterion::Throughput::Bytes(buf.len() as u64));
    g.bench_function("ntlm_seal_in_place", |b| {
        b.iter(|| client.seal_in_place(black_box(&mut buf)))
    });
    let mac = <Hmac<Md5> as KeyInit>::new_from_slice(&[0x42; 16]).expect("any key length");
    g.bench_function("hmac_md5_only", |b| {
        b.iter(|| {
            let mut m = mac.clone();
            m.update(black_box(request_body.as_bytes()));
            m.finalize().into_bytes()
        })
    });
    let mut rc4_crate = <rc4::Rc4<rc4::consts::U16> as rc4::KeyInit>::new(&[0x42; 16].into());
    g.bench_function("rc4_crate_only", |b| {
        b.iter(|| rc4_crate.apply_keystream(black_box(&mut buf)))
    });
    g.finish();

    // Unsealing one 512 KB enumeration page (RC4 + HMAC-MD5 over every byte, then the framing).
    let page = support::enumeration_page(&mut support::host(5000), 512_000);
    let mut g = c.benchmark_group("page_unseal");
    g.throughput(criterion::Throughput::Bytes(page.len() as u64));
    g.bench_function("unseal_512k_page", |b| {
        b.iter_batched(
            || encrypted::encode(&mut server, SPNEGO_PROTOCOL, page.as_bytes()),
            |sealed| encrypted::decode(&mut client, &ctype, &sealed).expect("unseals"),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, export_exchange);
criterion_main!(benches);
