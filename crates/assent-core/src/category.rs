//! Consent categories.
//!
//! Four categories are built in and have fixed indices that never change, because the index is what the
//! consent cookie and the signed token carry (a bitmap). Custom categories (`functional`, `social`, …) get the
//! indices after them in the order the site's config declares them: **append new custom categories at the end**
//! of `categories`, never reorder them, or tokens already issued will name the wrong category.

use core::fmt;

/// Largest number of categories one config may declare (built-in and custom together): a bitmap is a `u64`.
pub const MAX_CATEGORIES: usize = 64;

/// Index of the first custom category.
pub const FIRST_CUSTOM_INDEX: u8 = 4;

/// A consent category.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Strictly necessary: always granted, cannot be toggled (ePrivacy Art. 5(3) exemption).
    Essential,
    /// Audience measurement (`_ga`, `_gid`, in-house statistics).
    Analytics,
    /// Remarketing and targeted advertising: a "sale or sharing" under CCPA, denied by GPC.
    Remarketing,
    /// Marketing e-mail (newsletters, offers). Opt-in; see the server's subscription API.
    MarketingEmail,
    /// A site-defined category such as `functional`. The name is validated by [`Category::parse`].
    Custom(String),
}

impl Category {
    /// The built-in categories, in index order.
    pub const BUILT_IN: [Category; 4] = [
        Category::Essential,
        Category::Analytics,
        Category::Remarketing,
        Category::MarketingEmail,
    ];

    /// Parses a category name as written in config, cookies and APIs.
    ///
    /// Names are 1–32 characters of `a-z`, `0-9` and `_`, starting with a letter.
    pub fn parse(name: &str) -> Result<Category, InvalidCategoryName> {
        Ok(match name {
            "essential" => Category::Essential,
            "analytics" => Category::Analytics,
            "remarketing" => Category::Remarketing,
            "marketing_email" => Category::MarketingEmail,
            other => {
                if !is_valid_name(other) {
                    return Err(InvalidCategoryName);
                }
                Category::Custom(other.to_owned())
            }
        })
    }

    /// The name used in config, cookies and APIs.
    pub fn name(&self) -> &str {
        match self {
            Category::Essential => "essential",
            Category::Analytics => "analytics",
            Category::Remarketing => "remarketing",
            Category::MarketingEmail => "marketing_email",
            Category::Custom(name) => name,
        }
    }

    /// The fixed bitmap index of a built-in category; `None` for custom ones (their index comes from the config).
    pub fn builtin_index(&self) -> Option<u8> {
        match self {
            Category::Essential => Some(0),
            Category::Analytics => Some(1),
            Category::Remarketing => Some(2),
            Category::MarketingEmail => Some(3),
            Category::Custom(_) => None,
        }
    }

    /// Whether this is the always-on category.
    pub fn is_essential(&self) -> bool {
        matches!(self, Category::Essential)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A category name that is not 1–32 characters of `a-z0-9_` starting with a letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidCategoryName;

impl fmt::Display for InvalidCategoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("category names are 1-32 characters of a-z, 0-9 and _, starting with a letter")
    }
}

fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 32
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// A set of categories as a bitmap over their indices (bit `i` = category with index `i`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(pub u64);

impl CategorySet {
    /// The empty set.
    pub const EMPTY: CategorySet = CategorySet(0);

    /// Whether the category with this index is in the set.
    pub fn contains(self, index: u8) -> bool {
        index < 64 && self.0 & (1 << index) != 0
    }

    /// Adds the category with this index (indices ≥ 64 are ignored).
    pub fn insert(&mut self, index: u8) {
        if index < 64 {
            self.0 |= 1 << index;
        }
    }

    /// Removes the category with this index.
    pub fn remove(&mut self, index: u8) {
        if index < 64 {
            self.0 &= !(1 << index);
        }
    }

    /// Whether every member of `self` is in `other`.
    pub fn is_subset(self, other: CategorySet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The indices in the set, ascending.
    pub fn indices(self) -> impl Iterator<Item = u8> {
        (0..64u8).filter(move |i| self.contains(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_round_trip_with_fixed_indices() {
        for (i, c) in Category::BUILT_IN.iter().enumerate() {
            assert_eq!(Category::parse(c.name()).unwrap(), *c);
            assert_eq!(c.builtin_index(), Some(i as u8));
        }
    }

    #[test]
    fn custom_names_are_validated() {
        assert_eq!(
            Category::parse("functional").unwrap(),
            Category::Custom("functional".into())
        );
        for bad in ["", "Functional", "1st", "with-dash", "a b", &"x".repeat(33)] {
            assert_eq!(Category::parse(bad), Err(InvalidCategoryName), "{bad:?}");
        }
    }

    #[test]
    fn category_set_operations() {
        let mut s = CategorySet::EMPTY;
        s.insert(0);
        s.insert(63);
        s.insert(64);
        assert!(s.contains(0) && s.contains(63) && !s.contains(64));
        assert_eq!(s.indices().collect::<Vec<_>>(), vec![0, 63]);
        s.remove(63);
        assert!(s.is_subset(CategorySet(1)));
    }
}
