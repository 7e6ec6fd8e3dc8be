//! Micro-benchmarks of the per-block hot paths: the checks, the block encoder and assembler,
//! and the YMODEM header parser. Run with `cargo bench --bench hot_paths`; results go in
//! docs/BENCHMARKS.md ("Micro-benchmarks").

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use xyzmodem::proto::xymodem::block::{self, Assembler, LARGE, MAX_FRAME, PAD, SMALL};
use xyzmodem::proto::xymodem::header;
use xyzmodem::proto::{Check, crc};

/// 1 KiB of varied data (not all one byte, so nothing special-cases it).
fn data() -> Vec<u8> {
    (0..LARGE).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn checks(c: &mut Criterion) {
    let data = data();
    let mut group = c.benchmark_group("check");
    group.throughput(Throughput::Bytes(LARGE as u64));
    group.bench_function("crc16_1k", |b| b.iter(|| crc::crc16(black_box(&data))));
    group.bench_function("checksum_1k", |b| {
        b.iter(|| crc::checksum(black_box(&data)))
    });
    group.finish();
}

fn blocks(c: &mut Criterion) {
    let data = data();
    let mut group = c.benchmark_group("block");
    group.throughput(Throughput::Bytes(LARGE as u64));

    // The sender's path: encode into a buffer that lives as long as the session.
    let mut out = Vec::with_capacity(MAX_FRAME);
    group.bench_function("encode_1k_crc", |b| {
        b.iter(|| {
            block::encode(
                &mut out,
                black_box(7),
                black_box(&data),
                LARGE,
                Check::Crc16,
                PAD,
            );
            black_box(out.len())
        })
    });

    // The receiver's path: collect the bytes after the header byte, then verify.
    let mut wire = Vec::new();
    block::encode(&mut wire, 7, &data, LARGE, Check::Crc16, PAD);
    let mut asm = Assembler::default();
    group.bench_function("assemble_verify_1k_crc", |b| {
        b.iter(|| {
            asm.start(wire[0], Check::Crc16);
            asm.feed(black_box(&wire[1..]));
            let block = asm.verify(Check::Crc16).expect("valid block");
            black_box(block.number)
        })
    });
    group.finish();
}

fn headers(c: &mut Criterion) {
    // The block 0 lrzsz `sb` sends (docs/PROTOCOL_NOTES.md), record count in the last byte.
    let mut data = [0u8; SMALL];
    let text = b"small.txt\x0012 13603256645 100644 0 2 3012";
    data[..text.len()].copy_from_slice(text);
    data[SMALL - 1] = 0x01;
    let mut group = c.benchmark_group("ymodem_header");
    group.throughput(Throughput::Bytes(SMALL as u64));
    group.bench_function("parse", |b| {
        b.iter(|| header::parse(black_box(&data)).expect("a header"))
    });
    group.finish();
}

criterion_group!(benches, checks, blocks, headers);
criterion_main!(benches);
