//! The GPP bit-level encodings: fixed-width integers, booleans, Fibonacci integers and Fibonacci ranges, and
//! the "compressed" base64url the GPP uses for every segment (bits padded with zeros to a whole byte, then to a
//! whole 6-bit character; no `=`).
//!
//! Bits are kept one per `bool`: GPP segments are a few dozen bits, and this keeps every step obvious.

use super::GppError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Largest value a Fibonacci integer may carry here. GPP section ids and offsets are small; the limit keeps
/// decoding bounded on hostile input.
pub const MAX_FIBONACCI: u32 = 1 << 20;

/// Bits being written, most significant first.
#[derive(Debug, Default)]
pub struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    /// An empty bit string.
    pub fn new() -> BitWriter {
        BitWriter::default()
    }

    /// Appends `value` as an unsigned integer of `width` bits (`Int(width)` in the GPP). The value must fit.
    pub fn int(&mut self, value: u32, width: u32) -> Result<(), GppError> {
        if width < 32 && value >> width != 0 {
            return Err(GppError::ValueOutOfRange);
        }
        for i in (0..width).rev() {
            self.bits.push(value >> i & 1 == 1);
        }
        Ok(())
    }

    /// Appends one bit (`Boolean`).
    pub fn bool(&mut self, value: bool) {
        self.bits.push(value);
    }

    /// Appends a Fibonacci integer (`Int(Fibonacci)`): the Zeckendorf representation over 1, 2, 3, 5, 8, …,
    /// lowest term first, then a terminating `1` (so every encoding ends in `11`). The value must be ≥ 1.
    pub fn fibonacci(&mut self, value: u32) -> Result<(), GppError> {
        if value == 0 || value > MAX_FIBONACCI {
            return Err(GppError::ValueOutOfRange);
        }
        let mut terms: Vec<u32> = vec![1, 2];
        while let [.., a, b] = terms[..] {
            if a + b > value {
                break;
            }
            terms.push(a + b);
        }
        while terms.last().is_some_and(|&t| t > value) {
            terms.pop();
        }
        let mut used = vec![false; terms.len()];
        let mut rest = value;
        for (i, &t) in terms.iter().enumerate().rev() {
            if t <= rest {
                used[i] = true;
                rest -= t;
            }
        }
        self.bits.extend(used);
        self.bits.push(true);
        Ok(())
    }

    /// Appends a `Range(Fibonacci)`: `Int(12)` count of groups, then per group a bit (0 single id, 1 run of ids)
    /// and Fibonacci offsets from the last id written (0 before the first): the id, or the run's first id and
    /// then its length as `last - first`. `ids` must be sorted, without duplicates, ≥ 1.
    pub fn fibonacci_range(&mut self, ids: &[u32]) -> Result<(), GppError> {
        if ids.first() == Some(&0) || ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(GppError::ValueOutOfRange);
        }
        let mut groups: Vec<(u32, u32)> = Vec::new();
        for &id in ids {
            match groups.last_mut() {
                Some((_, last)) if *last + 1 == id => *last = id,
                _ => groups.push((id, id)),
            }
        }
        self.int(groups.len() as u32, 12)?;
        let mut offset = 0;
        for (first, last) in groups {
            self.bool(first != last);
            self.fibonacci(first - offset)?;
            if first != last {
                self.fibonacci(last - first)?;
            }
            offset = last;
        }
        Ok(())
    }

    /// The bits as compressed base64url: zero-padded to a multiple of 8, then of 6.
    pub fn to_base64url(&self) -> String {
        let mut bits = self.bits.clone();
        while bits.len() % 8 != 0 {
            bits.push(false);
        }
        while bits.len() % 6 != 0 {
            bits.push(false);
        }
        let mut out = String::with_capacity(bits.len() / 6);
        for chunk in bits.chunks(6) {
            let n = chunk.iter().fold(0usize, |n, &b| n << 1 | usize::from(b));
            out.push(char::from(ALPHABET[n]));
        }
        out
    }

    /// How many bits were written.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }
}

/// Bits being read, most significant first.
#[derive(Debug)]
pub struct BitReader {
    bits: Vec<bool>,
    pos: usize,
}

impl BitReader {
    /// The bits of a base64url text (any length; padding bits are simply left unread).
    pub fn from_base64url(text: &str) -> Result<BitReader, GppError> {
        if text.is_empty() {
            return Err(GppError::Truncated);
        }
        let mut bits = Vec::with_capacity(text.len() * 6);
        for c in text.bytes() {
            let n = ALPHABET
                .iter()
                .position(|&a| a == c)
                .ok_or(GppError::Base64)?;
            for i in (0..6).rev() {
                bits.push(n >> i & 1 == 1);
            }
        }
        Ok(BitReader { bits, pos: 0 })
    }

    /// Bits not read yet.
    pub fn remaining(&self) -> usize {
        self.bits.len() - self.pos
    }

    /// Reads a `Boolean`.
    pub fn bool(&mut self) -> Result<bool, GppError> {
        let b = *self.bits.get(self.pos).ok_or(GppError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads an `Int(width)`.
    pub fn int(&mut self, width: u32) -> Result<u32, GppError> {
        let mut n = 0u32;
        for _ in 0..width {
            n = n << 1 | u32::from(self.bool()?);
        }
        Ok(n)
    }

    /// Reads an `Int(Fibonacci)`: terms until two `1` bits in a row.
    pub fn fibonacci(&mut self) -> Result<u32, GppError> {
        let (mut a, mut b) = (1u32, 2u32);
        let mut value = 0u32;
        let mut previous = false;
        loop {
            let bit = self.bool()?;
            if bit && previous {
                return if value == 0 {
                    Err(GppError::ValueOutOfRange)
                } else {
                    Ok(value)
                };
            }
            if bit {
                value = value.checked_add(a).ok_or(GppError::ValueOutOfRange)?;
            }
            if value > MAX_FIBONACCI {
                return Err(GppError::ValueOutOfRange);
            }
            previous = bit;
            (a, b) = (b, a.saturating_add(b));
        }
    }

    /// Reads a `Range(Fibonacci)` into sorted ids.
    pub fn fibonacci_range(&mut self) -> Result<Vec<u32>, GppError> {
        let count = self.int(12)?;
        let mut ids = Vec::new();
        let mut offset = 0u32;
        for _ in 0..count {
            let run = self.bool()?;
            let first = offset
                .checked_add(self.fibonacci()?)
                .ok_or(GppError::ValueOutOfRange)?;
            let last = if run {
                first
                    .checked_add(self.fibonacci()?)
                    .ok_or(GppError::ValueOutOfRange)?
            } else {
                first
            };
            if last > MAX_FIBONACCI {
                return Err(GppError::ValueOutOfRange);
            }
            ids.extend(first..=last);
            offset = last;
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fib_bits(value: u32) -> String {
        let mut w = BitWriter::new();
        w.fibonacci(value).unwrap();
        w.bits.iter().map(|&b| if b { '1' } else { '0' }).collect()
    }

    #[test]
    fn fibonacci_integers_match_the_reference_table() {
        // From iabgpp-es modules/cmpapi/test/encoder/datatype/encoder/FibonacciIntegerEncoder.test.ts.
        for (value, bits) in [
            (1, "11"),
            (2, "011"),
            (3, "0011"),
            (4, "1011"),
            (5, "00011"),
            (6, "10011"),
            (7, "01011"),
        ] {
            assert_eq!(fib_bits(value), bits, "{value}");
        }
    }

    #[test]
    fn fibonacci_range_matches_the_specification_example() {
        // Consent String Specification, Range (Fibonacci): [3,5,6,7,8] = 000000000010 0 0011 1 011 0011.
        let mut w = BitWriter::new();
        w.fibonacci_range(&[3, 5, 6, 7, 8]).unwrap();
        let bits: String = w.bits.iter().map(|&b| if b { '1' } else { '0' }).collect();
        assert_eq!(bits, "0000000000100001110110011");
    }

    #[test]
    fn refuses_what_it_cannot_encode() {
        let mut w = BitWriter::new();
        assert_eq!(w.int(4, 2), Err(GppError::ValueOutOfRange));
        assert_eq!(w.fibonacci(0), Err(GppError::ValueOutOfRange));
        assert_eq!(w.fibonacci_range(&[2, 2]), Err(GppError::ValueOutOfRange));
        assert_eq!(w.fibonacci_range(&[0]), Err(GppError::ValueOutOfRange));
        assert_eq!(w.fibonacci_range(&[6, 2]), Err(GppError::ValueOutOfRange));
        assert!(w.is_empty());
    }

    #[test]
    fn hostile_input_is_refused() {
        assert_eq!(
            BitReader::from_base64url("DB+A").unwrap_err(),
            GppError::Base64
        );
        // A Fibonacci integer that never terminates runs out of bits.
        let mut r = BitReader::from_base64url("qqqq").unwrap();
        assert_eq!(r.fibonacci(), Err(GppError::Truncated));
        // A count of 4095 groups with no bits behind it.
        let mut r = BitReader::from_base64url("__").unwrap();
        assert_eq!(r.fibonacci_range(), Err(GppError::Truncated));
    }

    proptest! {
        #[test]
        fn fibonacci_round_trips(value in 1u32..=MAX_FIBONACCI) {
            let mut w = BitWriter::new();
            w.fibonacci(value).unwrap();
            let mut r = BitReader::from_base64url(&w.to_base64url()).unwrap();
            prop_assert_eq!(r.fibonacci().unwrap(), value);
        }

        #[test]
        fn ranges_round_trip(ids in proptest::collection::btree_set(1u32..2000, 0..40)) {
            let ids: Vec<u32> = ids.into_iter().collect();
            let mut w = BitWriter::new();
            w.fibonacci_range(&ids).unwrap();
            let mut r = BitReader::from_base64url(&w.to_base64url()).unwrap();
            prop_assert_eq!(r.fibonacci_range().unwrap(), ids);
        }

        #[test]
        fn integers_round_trip(value: u32, width in 1u32..=32) {
            let value = if width == 32 { value } else { value & ((1 << width) - 1) };
            let mut w = BitWriter::new();
            w.int(value, width).unwrap();
            w.bool(true);
            let mut r = BitReader::from_base64url(&w.to_base64url()).unwrap();
            prop_assert_eq!(r.int(width).unwrap(), value);
            prop_assert!(r.bool().unwrap());
        }
    }
}
