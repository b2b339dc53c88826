//! The inline config, parsed by the browser's own `JSON.parse` and converted to assent-core's [`Json`] tree, so
//! the wasm carries no JSON tokenizer; the validation is assent-core's, the same as `assent check` and the server
//! run. What only the text shows differs: a duplicated key is refused by `assent check` and the server, while
//! `JSON.parse` keeps its last value; a syntax error is the browser's message.

use assent_core::Config;
use assent_core::json::Json;
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{call, get};

/// Deepest nesting converted; a config is a few levels deep (deeper values are refused by the reader).
const MAX_DEPTH: u32 = 32;

/// Parses and validates the config text; `Err` is the message for the console (every field error, with its
/// path).
pub(crate) fn read(text: &str) -> Result<Config, String> {
    let value = js_sys::JSON::parse(text).map_err(|e| {
        let mut m = String::from("not valid JSON: ");
        m.push_str(&call(&e, "toString", &[]).as_string().unwrap_or_default());
        m
    })?;
    Config::from_value(&to_json(&value, 0)).map_err(|e| {
        let mut m = e.message();
        m.push_str(" (the reasons: `assent check` on this page or file)");
        m
    })
}

fn to_json(v: &JsValue, depth: u32) -> Json {
    if depth > MAX_DEPTH {
        return Json::Null;
    }
    if let Some(b) = v.as_bool() {
        Json::Bool(b)
    } else if let Some(n) = v.as_f64() {
        // Beyond 2^53 a JS number is not an exact integer: saturate so the reader's range check refuses it.
        if n.fract() != 0.0 || !n.is_finite() {
            Json::Fraction
        } else if n.abs() > 9_007_199_254_740_991.0 {
            Json::Int(if n < 0.0 { i64::MIN } else { i64::MAX })
        } else {
            Json::Int(n as i64)
        }
    } else if let Some(s) = v.as_string() {
        Json::String(s)
    } else if Array::is_array(v) {
        let mut out = Vec::new();
        for item in Array::from(v).iter() {
            out.push(to_json(&item, depth + 1));
        }
        Json::Array(out)
    } else if v.is_object() {
        let mut out = Vec::new();
        for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
            let Some(k) = key.as_string() else { continue };
            let value = to_json(&get(v, &k), depth + 1);
            out.push((k, value));
        }
        Json::Object(out)
    } else {
        Json::Null
    }
}
