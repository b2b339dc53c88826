//! Just enough of the WebAssembly binary format to repair table exports after `wasm-opt`.
//!
//! Why: binaryen 108 (the `binaryen` package in Debian bookworm) writes every exported table as table index 0.
//! wasm-bindgen exports its externref table `__wbindgen_externrefs`, which is table 1 (table 0 is the function
//! table), so after `wasm-opt` the page fails with "WebAssembly.Table.set(): Argument 1 is invalid for table".
//! [`fix_table_exports`] compares the exports of the input and output modules and points each exported table back
//! at the output table with the element type it had in the input.

use crate::util::{Result, bail, err};

const SECTION_IMPORT: u8 = 2;
const SECTION_TABLE: u8 = 4;
const SECTION_EXPORT: u8 = 7;
const KIND_TABLE: u8 = 1;

/// A section: id, where its header starts, and the byte range of its payload in the module.
#[derive(Debug, Clone, Copy)]
struct Section {
    id: u8,
    header: usize,
    start: usize,
    end: usize,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], pos: usize) -> Self {
        Reader { bytes, pos }
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| err!("truncated wasm module at byte {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32> {
        let mut value: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| err!("LEB128 value out of range"));
            }
        }
        bail!("LEB128 value too long at byte {}", self.pos)
    }

    fn skip(&mut self, n: usize) -> Result {
        if self.pos + n > self.bytes.len() {
            bail!("truncated wasm module at byte {}", self.pos);
        }
        self.pos += n;
        Ok(())
    }

    fn name(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        let start = self.pos;
        self.skip(len)?;
        Ok(&self.bytes[start..start + len])
    }

    fn limits(&mut self) -> Result {
        let flags = self.byte()?;
        self.u32()?;
        if flags & 1 != 0 {
            self.u32()?;
        }
        Ok(())
    }

    /// A reference type as used for table elements: one byte for funcref/externref (and the other shorthands).
    fn ref_type(&mut self) -> Result<Vec<u8>> {
        let b = self.byte()?;
        // 0x63/0x64: (ref null ht) / (ref ht) followed by a heap type (a signed LEB); keep the bytes verbatim.
        if b == 0x63 || b == 0x64 {
            let start = self.pos - 1;
            loop {
                if self.byte()? & 0x80 == 0 {
                    break;
                }
            }
            return Ok(self.bytes[start..self.pos].to_vec());
        }
        Ok(vec![b])
    }
}

fn write_u32(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sections(module: &[u8]) -> Result<Vec<Section>> {
    if module.len() < 8 || &module[..4] != b"\0asm" {
        bail!("not a wasm module");
    }
    let mut r = Reader::new(module, 8);
    let mut out = Vec::new();
    while r.pos < module.len() {
        let header = r.pos;
        let id = r.byte()?;
        let len = r.u32()? as usize;
        let start = r.pos;
        r.skip(len)?;
        out.push(Section {
            id,
            header,
            start,
            end: start + len,
        });
    }
    Ok(out)
}

/// Element types of all tables in index order (imported tables first).
fn table_types(module: &[u8], secs: &[Section]) -> Result<Vec<Vec<u8>>> {
    let mut types = Vec::new();
    for s in secs.iter().filter(|s| s.id == SECTION_IMPORT) {
        let mut r = Reader::new(module, s.start);
        for _ in 0..r.u32()? {
            r.name()?;
            r.name()?;
            match r.byte()? {
                0 => {
                    r.u32()?;
                }
                1 => {
                    types.push(r.ref_type()?);
                    r.limits()?;
                }
                2 => r.limits()?,
                3 => {
                    r.ref_type()?; // value type (one byte, or a ref type)
                    r.byte()?; // mutability
                }
                4 => {
                    r.byte()?;
                    r.u32()?;
                }
                k => bail!("unknown import kind {k}"),
            }
        }
    }
    for s in secs.iter().filter(|s| s.id == SECTION_TABLE) {
        let mut r = Reader::new(module, s.start);
        for _ in 0..r.u32()? {
            if r.bytes.get(r.pos) == Some(&0x40) {
                bail!("tables with initializer expressions are not supported");
            }
            types.push(r.ref_type()?);
            r.limits()?;
        }
    }
    Ok(types)
}

/// Exports as (name, kind, index) plus the export section's position.
type Exports = Vec<(Vec<u8>, u8, u32)>;

fn exports(module: &[u8], secs: &[Section]) -> Result<Option<(Section, Exports)>> {
    let Some(s) = secs.iter().find(|s| s.id == SECTION_EXPORT).copied() else {
        return Ok(None);
    };
    let mut r = Reader::new(module, s.start);
    let mut list = Vec::new();
    for _ in 0..r.u32()? {
        let name = r.name()?.to_vec();
        let kind = r.byte()?;
        let index = r.u32()?;
        list.push((name, kind, index));
    }
    Ok(Some((s, list)))
}

/// Repair the table exports of `optimized` (the output of `wasm-opt`) using `original` (its input) as the truth.
/// Returns the repaired module and the names of the exports that were changed.
pub(crate) fn fix_table_exports(
    original: &[u8],
    optimized: &[u8],
) -> Result<(Vec<u8>, Vec<String>)> {
    let orig_secs = sections(original)?;
    let orig_tables = table_types(original, &orig_secs)?;
    let Some((_, orig_exports)) = exports(original, &orig_secs)? else {
        return Ok((optimized.to_vec(), Vec::new()));
    };

    let opt_secs = sections(optimized)?;
    let opt_tables = table_types(optimized, &opt_secs)?;
    let Some((export_sec, mut opt_exports)) = exports(optimized, &opt_secs)? else {
        return Ok((optimized.to_vec(), Vec::new()));
    };

    let mut changed = Vec::new();
    for (name, kind, index) in &mut opt_exports {
        if *kind != KIND_TABLE {
            continue;
        }
        let shown = String::from_utf8_lossy(name).into_owned();
        let Some((_, _, orig_index)) = orig_exports
            .iter()
            .find(|(n, k, _)| n == name && *k == KIND_TABLE)
        else {
            bail!("wasm-opt output exports table `{shown}` that its input did not export");
        };
        let want = orig_tables
            .get(*orig_index as usize)
            .ok_or_else(|| err!("input exports table `{shown}` with an out-of-range index"))?;
        if opt_tables.get(*index as usize) == Some(want) {
            continue;
        }
        let candidates: Vec<usize> = (0..opt_tables.len())
            .filter(|&i| &opt_tables[i] == want)
            .collect();
        let [only] = candidates[..] else {
            bail!(
                "cannot repair export of table `{shown}`: {} tables of its type in the wasm-opt output",
                candidates.len()
            );
        };
        *index = only as u32;
        changed.push(shown);
    }
    if changed.is_empty() {
        return Ok((optimized.to_vec(), changed));
    }

    let mut payload = Vec::new();
    write_u32(&mut payload, opt_exports.len() as u32);
    for (name, kind, index) in &opt_exports {
        write_u32(&mut payload, name.len() as u32);
        payload.extend_from_slice(name);
        payload.push(*kind);
        write_u32(&mut payload, *index);
    }
    let mut out = Vec::with_capacity(optimized.len() + 8);
    out.extend_from_slice(&optimized[..export_sec.header]);
    out.push(SECTION_EXPORT);
    write_u32(&mut out, payload.len() as u32);
    out.extend_from_slice(&payload);
    out.extend_from_slice(&optimized[export_sec.end..]);
    Ok((out, changed))
}

/// Import descriptor bytes (kind and type) of the import at the reader, copied verbatim.
fn import_desc(r: &mut Reader<'_>) -> Result<Vec<u8>> {
    let start = r.pos;
    match r.byte()? {
        0 => {
            r.u32()?;
        }
        1 => {
            r.ref_type()?;
            r.limits()?;
        }
        2 => r.limits()?,
        3 => {
            r.ref_type()?;
            r.byte()?;
        }
        4 => {
            r.byte()?;
            r.u32()?;
        }
        k => bail!("unknown import kind {k}"),
    }
    Ok(r.bytes[start..r.pos].to_vec())
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Replace every occurrence of `prefix` + `old` in `js` that is not part of a longer identifier by `prefix` + `new`;
/// returns how many were replaced.
fn replace_ident(js: &mut String, prefix: &str, old: &str, new: &str) -> usize {
    let pattern = format!("{prefix}{old}");
    let bytes = js.as_bytes();
    let mut out = String::with_capacity(js.len());
    let mut last = 0;
    let mut count = 0;
    let mut from = 0;
    while let Some(found) = js[from..].find(&pattern) {
        let at = from + found;
        let end = at + pattern.len();
        let before_ok = at == 0 || !is_ident_byte(bytes[at - 1]) || !prefix.is_empty();
        let after_ok = end == bytes.len() || !is_ident_byte(bytes[end]);
        if before_ok && after_ok {
            out.push_str(&js[last..at]);
            out.push_str(prefix);
            out.push_str(new);
            last = end;
            count += 1;
        }
        from = end;
    }
    out.push_str(&js[last..]);
    *js = out;
    count
}

/// Short names `$0`, `$1`, … `$z`, `$10`, … (valid JS identifiers; `$` keeps them apart from the glue's own).
fn short_name(mut i: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rev = Vec::new();
    loop {
        rev.push(DIGITS[i % 36]);
        i /= 36;
        if i == 0 {
            break;
        }
    }
    rev.reverse();
    let mut s = String::from("$");
    s.push_str(&String::from_utf8_lossy(&rev));
    s
}

/// Exports the glue reaches as `wasm.NAME` that are internal to wasm-bindgen (the module's own exports such as
/// `boot`, and `memory`, keep their names).
fn is_internal_export(name: &str) -> bool {
    ["__wbindgen", "__wbg", "__externref", "wasm_bindgen"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Shorten the names that only the wasm-bindgen glue uses: every import from `glue_module` (the glue's import
/// object keys, such as `__wbg_getAttribute_c7b80d4010284561`, and the module name itself) and wasm-bindgen's
/// internal exports (`__wbindgen_malloc`, the closure `…invoke…` shims of 100+ characters). The names are rewritten
/// in the module and in the glue `js` alike. Returns the new module and glue and how many names were shortened.
///
/// Fails, changing nothing, when the glue does not name every renamed import exactly where expected or when a new
/// name already occurs in it.
pub(crate) fn shorten_glue_names(
    module: &[u8],
    js: &str,
    glue_module: &str,
) -> Result<(Vec<u8>, String, usize)> {
    let secs = sections(module)?;
    let mut js = js.to_owned();
    let mut next = 0;
    let mut fresh = |js: &str| -> Result<String> {
        let name = short_name(next);
        next += 1;
        if replace_ident(&mut js.to_owned(), "", &name, "") > 0 {
            bail!("the glue already uses the identifier {name}");
        }
        Ok(name)
    };
    let mut renamed = 0;
    let quoted_module = format!("\"{glue_module}\"");
    let new_module = if js.matches(&quoted_module).count() == 1 {
        let m = fresh(&js)?;
        js = js.replace(&quoted_module, &format!("\"{m}\""));
        Some(m)
    } else {
        None
    };

    let mut out = module[..8].to_vec();
    for s in &secs {
        let mut payload = Vec::new();
        match s.id {
            SECTION_IMPORT => {
                let mut r = Reader::new(module, s.start);
                let n = r.u32()?;
                write_u32(&mut payload, n);
                for _ in 0..n {
                    let mut m = r.name()?.to_vec();
                    let mut field = r.name()?.to_vec();
                    let desc = import_desc(&mut r)?;
                    if m == glue_module.as_bytes() {
                        let old = String::from_utf8(field.clone())
                            .map_err(|_| err!("import name is not UTF-8"))?;
                        let new = fresh(&js)?;
                        if replace_ident(&mut js, "", &old, &new) == 0 {
                            bail!("the glue does not provide the import {old}");
                        }
                        field = new.into_bytes();
                        renamed += 1;
                        if let Some(nm) = &new_module {
                            m = nm.clone().into_bytes();
                        }
                    }
                    write_u32(&mut payload, m.len() as u32);
                    payload.extend_from_slice(&m);
                    write_u32(&mut payload, field.len() as u32);
                    payload.extend_from_slice(&field);
                    payload.extend_from_slice(&desc);
                }
            }
            SECTION_EXPORT => {
                let Some((_, list)) = exports(module, std::slice::from_ref(s))? else {
                    bail!("export section vanished");
                };
                write_u32(&mut payload, list.len() as u32);
                for (name, kind, index) in list {
                    let mut name = name;
                    let text = String::from_utf8_lossy(&name).into_owned();
                    if is_internal_export(&text) {
                        let new = fresh(&js)?;
                        replace_ident(&mut js, "wasm.", &text, &new);
                        name = new.into_bytes();
                        renamed += 1;
                    }
                    write_u32(&mut payload, name.len() as u32);
                    payload.extend_from_slice(&name);
                    payload.push(kind);
                    write_u32(&mut payload, index);
                }
            }
            _ => {
                out.extend_from_slice(&module[s.header..s.end]);
                continue;
            }
        }
        out.push(s.id);
        write_u32(&mut out, payload.len() as u32);
        out.extend_from_slice(&payload);
    }
    Ok((out, js, renamed))
}

/// Remove custom sections (names, producers, …) — used by tests to compare modules structurally.
#[cfg(test)]
fn without_custom_sections(module: &[u8]) -> Vec<u8> {
    let mut out = module[..8].to_vec();
    let mut r = Reader::new(module, 8);
    while r.pos < module.len() {
        let start = r.pos;
        let id = r.byte().unwrap();
        let len = r.u32().unwrap() as usize;
        r.skip(len).unwrap();
        if id != 0 {
            out.extend_from_slice(&module[start..r.pos]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![id];
        write_u32(&mut s, payload.len() as u32);
        s.extend_from_slice(payload);
        s
    }

    /// A module with a funcref table (0) and an externref table (1), the latter exported as `t`.
    fn module(export_index: u8, with_custom: bool) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend(section(SECTION_TABLE, &[2, 0x70, 0, 1, 0x6f, 0, 4]));
        m.extend(section(
            SECTION_EXPORT,
            &[2, 1, b'm', 2, 0, 1, b't', KIND_TABLE, export_index],
        ));
        if with_custom {
            m.extend(section(0, &[4, b'n', b'a', b'm', b'e', 9, 9]));
        }
        m
    }

    #[test]
    fn repairs_export_pointing_at_wrong_table() {
        let (fixed, changed) = fix_table_exports(&module(1, true), &module(0, true)).unwrap();
        assert_eq!(changed, vec!["t".to_string()]);
        assert_eq!(fixed, module(1, true));
    }

    #[test]
    fn leaves_correct_module_alone() {
        let (fixed, changed) = fix_table_exports(&module(1, false), &module(1, false)).unwrap();
        assert!(changed.is_empty());
        assert_eq!(fixed, module(1, false));
    }

    #[test]
    fn custom_sections_are_kept_around_the_fixed_export_section() {
        let (fixed, _) = fix_table_exports(&module(1, false), &module(0, true)).unwrap();
        assert_eq!(without_custom_sections(&fixed), module(1, false));
        assert_eq!(fixed.len(), module(1, true).len());
    }

    #[test]
    fn rejects_garbage() {
        assert!(fix_table_exports(b"not wasm", b"not wasm").is_err());
        let mut truncated = module(0, false);
        truncated.pop();
        assert!(fix_table_exports(&module(1, false), &truncated).is_err());
    }

    #[test]
    fn shortens_glue_names_in_module_and_glue() {
        // Imports: one function from the glue module, one from elsewhere. Exports: `boot`, an internal one whose
        // name is a prefix of another's, and that other one.
        let mut imports = vec![2];
        for (m, f) in [("./x_bg.js", "__wbg_get_12ab"), ("env", "keep_me")] {
            imports.push(m.len() as u8);
            imports.extend_from_slice(m.as_bytes());
            imports.push(f.len() as u8);
            imports.extend_from_slice(f.as_bytes());
            imports.extend_from_slice(&[0, 0]); // function of type 0
        }
        let mut exps = vec![3];
        for (name, index) in [("boot", 1u8), ("__wbindgen_x", 2), ("__wbindgen_x_5", 3)] {
            exps.push(name.len() as u8);
            exps.extend_from_slice(name.as_bytes());
            exps.extend_from_slice(&[0, index]);
        }
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend(section(SECTION_IMPORT, &imports));
        m.extend(section(SECTION_EXPORT, &exps));
        let js = "export function boot(){wasm.boot()}\nconst i={__wbg_get_12ab:function(){}};\
                  wasm.__wbindgen_x(wasm.__wbindgen_x_5);return {\"./x_bg.js\":i};";
        let (out, glue, n) = shorten_glue_names(&m, js, "./x_bg.js").unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            glue,
            "export function boot(){wasm.boot()}\nconst i={$1:function(){}};\
             wasm.$2(wasm.$3);return {\"$0\":i};"
        );
        let secs = sections(&out).unwrap();
        let (_, ex) = exports(&out, &secs).unwrap().unwrap();
        let names: Vec<&[u8]> = ex.iter().map(|(n, _, _)| n.as_slice()).collect();
        assert_eq!(names, [&b"boot"[..], b"$2", b"$3"]);
        let imp = &out[secs[0].start..secs[0].end];
        assert!(imp.windows(2).any(|w| w == b"$0") && imp.windows(2).any(|w| w == b"$1"));
        assert!(imp.windows(7).any(|w| w == b"keep_me"));
        // A glue that does not provide an import is refused.
        assert!(shorten_glue_names(&m, "wasm.boot()", "./x_bg.js").is_err());
        // Short names already in use are refused.
        assert!(shorten_glue_names(&m, &format!("{js} var $1;"), "./x_bg.js").is_err());
    }

    #[test]
    fn leb128_roundtrip() {
        for v in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut buf = Vec::new();
            write_u32(&mut buf, v);
            assert_eq!(Reader::new(&buf, 0).u32().unwrap(), v);
        }
    }
}
