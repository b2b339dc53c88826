//! `categories`: the built-in ones with their defaults and Consent Mode types, custom ones by name, each checked
//! against the mode (no pre-ticked category in opt-in mode).

use super::{MESSAGES, Reader, get, join};
use crate::category::{Category, FIRST_CUSTOM_INDEX, MAX_CATEGORIES};
use crate::config::{CategoryConfig, Mode, Texts};
use crate::consent_mode::ConsentModeType;
use crate::json::Json;
use crate::text::{concat, push_u64};

fn builtin_consent_mode(c: &Category) -> Vec<ConsentModeType> {
    match c {
        Category::Essential => vec![ConsentModeType::SecurityStorage],
        Category::Analytics => vec![ConsentModeType::AnalyticsStorage],
        Category::Remarketing => vec![
            ConsentModeType::AdStorage,
            ConsentModeType::AdUserData,
            ConsentModeType::AdPersonalization,
        ],
        Category::MarketingEmail | Category::Custom(_) => Vec::new(),
    }
}

pub(super) fn read_categories(r: &mut Reader, v: &Json, mode: Mode) -> Vec<CategoryConfig> {
    let Json::Object(members) = v else {
        r.wrong_type("categories", "an object", v);
        return Vec::new();
    };
    let mut out: Vec<CategoryConfig> = Vec::new();
    let mut next_custom = FIRST_CUSTOM_INDEX;
    if members.len() > MAX_CATEGORIES {
        let mut m = String::from("at most ");
        push_u64(&mut m, MAX_CATEGORIES as u64);
        m.push_str(" categories");
        r.error_owned("categories", msg_owned!(m));
        return out;
    }
    for (name, value) in members {
        let path = join("categories", name);
        let Ok(category) = Category::parse(name) else {
            r.error(
                &path,
                msg!(
                    "category names are 1-32 characters of a-z, 0-9 and _, starting with a letter"
                ),
            );
            continue;
        };
        let index = category.builtin_index().unwrap_or_else(|| {
            let i = next_custom;
            next_custom += 1;
            i
        });
        if let Some(c) = read_category(r, value, &path, category, index, mode) {
            out.push(c);
        }
    }
    // Built-in categories hold indices 0-3 whether declared or not, so 60 custom ones fill the 64-bit bitmap:
    // one more would get index 64 and be dropped from every cookie and token without a word.
    if usize::from(next_custom) > MAX_CATEGORIES {
        let extra = next_custom - FIRST_CUSTOM_INDEX;
        r.error_owned(
            "categories",
            msg_owned!({
                let mut m = String::from(
                    "at most 64 categories, the 4 built-in ones included: 60 custom ones, not ",
                );
                push_u64(&mut m, u64::from(extra));
                m
            }),
        );
        return Vec::new();
    }
    if !out.iter().any(|c| c.category.is_essential()) {
        out.push(category_defaults(Category::Essential, 0, mode));
    }
    // Essential first; the rest keep the site's order. (A rotation, not a sort: no sort code in the wasm.)
    if let Some(i) = out.iter().position(|c| c.category.is_essential()) {
        out[..=i].rotate_right(1);
    }
    out
}

fn category_defaults(category: Category, index: u8, mode: Mode) -> CategoryConfig {
    let essential = category.is_essential();
    CategoryConfig {
        index,
        // Built-in categories' own texts come from the UI part (`i18n::builtin_category_text` and the language
        // files): the engine carries none.
        title: Texts::default(),
        description: Texts::default(),
        default: essential || mode == Mode::OptOut,
        cookies: Vec::new(),
        local_storage: Vec::new(),
        consent_mode: builtin_consent_mode(&category),
        sale_or_share: matches!(category, Category::Remarketing | Category::MarketingEmail),
        category,
    }
}

fn read_category(
    r: &mut Reader,
    v: &Json,
    path: &str,
    category: Category,
    index: u8,
    mode: Mode,
) -> Option<CategoryConfig> {
    let m = r.object(v, path, "categories.<name>")?;
    let mut c = category_defaults(category, index, mode);
    let custom = matches!(c.category, Category::Custom(_));
    match get(m, "title") {
        Some(t) => c.title = r.texts(t, &join(path, "title")),
        None if custom => r.error(&join(path, "title"), msg!("required for a custom category")),
        None => {}
    }
    if c.title.0.iter().any(|(_, t)| t.trim().is_empty()) || (custom && c.title.0.is_empty()) {
        r.error(&join(path, "title"), msg!("must not be empty"));
    }
    if let Some(d) = get(m, "description") {
        c.description = r.texts(d, &join(path, "description"));
    }
    c.default = r.boolean(m, path, "default", c.default);
    if c.category.is_essential() && !c.default {
        r.error(
            &join(path, "default"),
            msg!("essential is always granted and cannot default to false"),
        );
    } else if !c.category.is_essential() && c.default && mode == Mode::OptIn {
        r.error(
            &join(path, "default"),
            msg!("pre-ticked non-essential category is not allowed in opt-in mode"),
        );
    }
    c.cookies = r.patterns(m, path, "cookies", true);
    c.local_storage = r.patterns(m, path, "local_storage", false);
    if let Some(v) = get(m, "consent_mode") {
        c.consent_mode.clear();
        for (p, key) in r.string_array(v, &join(path, "consent_mode")) {
            match ConsentModeType::parse(&key) {
                Some(t) if t == ConsentModeType::SecurityStorage && !c.category.is_essential() => {
                    r.error(
                        &p,
                        msg!("security_storage is always granted; map it to essential only"),
                    );
                }
                Some(t) => c.consent_mode.push(t),
                None => r.error_owned(
                    &p,
                    msg_owned!(concat(&["unknown Consent Mode type \"", &key, "\""])),
                ),
            }
        }
    }
    c.sale_or_share = r.boolean(m, path, "sale_or_share", c.sale_or_share);
    if c.category.is_essential() && c.sale_or_share {
        r.error(
            &join(path, "sale_or_share"),
            msg!("essential cannot be a sale or sharing of personal data"),
        );
    }
    Some(c)
}
