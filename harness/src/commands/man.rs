//! `fletsim man`: the manual page (roff, clap_mangen) of fletsim and of each command, on stdout.

use std::io::Write;

use crate::options::exit;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  fletsim man | man -l -
  fletsim man > ~/.local/share/man/man1/fletsim.1")]
pub struct Args {}

/// `fletsim man`: the top-level page of `command` (from [`crate::cli`]), then a section per command.
pub fn run(_: &Args, command: clap::Command, out: &mut dyn Write) -> u8 {
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    if man.render(&mut page).is_err() {
        return exit::INTERNAL;
    }
    // Each command's options, as `fletsim COMMAND --help` shows them.
    for sub in command.get_subcommands().filter(|c| c.get_name() != "help") {
        let _ = writeln!(page, ".SH \"FLETSIM {}\"", sub.get_name().to_uppercase());
        let man = clap_mangen::Man::new(sub.clone());
        let mut section = Vec::new();
        if man.render_description_section(&mut section).is_err()
            || man.render_options_section(&mut section).is_err()
        {
            return exit::INTERNAL;
        }
        // The sub-page's own section headings become subsections of this one.
        let text = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        page.extend_from_slice(text.as_bytes());
    }
    match out.write_all(&page) {
        Ok(()) => exit::OK,
        Err(_) => exit::INTERNAL,
    }
}
