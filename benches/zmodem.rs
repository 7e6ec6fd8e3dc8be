//! Micro-benchmarks of the ZMODEM wire codec: encoding and decoding data subpackets, the
//! per-byte hot path of a ZMODEM transfer. Run with `cargo bench --bench zmodem`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use xyzmodem::proto::zmodem::{self, CrcKind, Decoder, Encoder, EscapeProfile, FrameEnd, Item};

/// 8 KiB (lrzsz's largest subpacket) of uniformly distributed pseudo-random bytes, like
/// compressed data: about 3 % of them need escaping with the minimal profile, 25 % with
/// the control-byte profile.
fn data() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn subpackets(c: &mut Criterion) {
    let data = data();
    let mut group = c.benchmark_group("zmodem");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("crc32_8k", |b| b.iter(|| zmodem::crc32(black_box(&data))));
    for (name, profile) in [
        ("minimal", EscapeProfile::Minimal),
        ("controls", EscapeProfile::Controls),
    ] {
        let mut enc = Encoder::new(profile);
        let mut out = Vec::with_capacity(2 * data.len());
        let mut enc1k = Encoder::new(profile);
        group.bench_function(format!("encode_8x1k_crc32_{name}"), |b| {
            b.iter(|| {
                out.clear();
                for piece in black_box(&data).chunks(1024) {
                    enc1k.subpacket(&mut out, piece, FrameEnd::CrcG, CrcKind::Crc32);
                }
                black_box(out.len())
            })
        });
        group.bench_function(format!("encode_8k_crc32_{name}"), |b| {
            b.iter(|| {
                out.clear();
                enc.subpacket(&mut out, black_box(&data), FrameEnd::CrcG, CrcKind::Crc32);
                black_box(out.len())
            })
        });

        let mut wire = Vec::new();
        Encoder::new(profile).subpacket(&mut wire, &data, FrameEnd::CrcG, CrcKind::Crc32);
        let mut dec = Decoder::default();
        group.bench_function(format!("decode_8k_crc32_{name}"), |b| {
            b.iter(|| {
                dec.expect_data(CrcKind::Crc32);
                let (n, item) = dec.feed(black_box(&wire));
                assert_eq!(
                    item,
                    Some(Item::Data {
                        end: FrameEnd::CrcG
                    })
                );
                black_box((n, dec.data().len()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, subpackets);
criterion_main!(benches);
