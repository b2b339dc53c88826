//! Prints the config reference table that README.md embeds: `cargo run -p assent-core --example config_reference`.

fn main() {
    print!("{}", assent_core::config::reference::markdown());
}
